/**
 * Native parts of backups, for the Electron bootstrap: save/open/folder dialogs (the
 * renderer never sends a path), OS notifications and show-in-folder.
 */
import { BrowserWindow, dialog, Notification, shell } from 'electron'
import type { Platform } from '../context'

type BackupPlatform = Required<Pick<Platform, 'saveDialog' | 'openFileDialog' | 'chooseFolder' | 'notify' | 'showInFolder'>>

export function backupPlatform(getWindow: () => BrowserWindow | null): BackupPlatform {
  const parent = () => getWindow() ?? BrowserWindow.getFocusedWindow() ?? undefined
  return {
    async saveDialog(opts) {
      const w = parent()
      const o = { title: opts.title, defaultPath: opts.defaultPath, filters: opts.filters, properties: ['createDirectory', 'showOverwriteConfirmation'] as ('createDirectory' | 'showOverwriteConfirmation')[] }
      const r = w ? await dialog.showSaveDialog(w, o) : await dialog.showSaveDialog(o)
      return r.canceled || !r.filePath ? null : r.filePath
    },
    async openFileDialog(opts) {
      const w = parent()
      const o = { title: opts.title, defaultPath: opts.defaultPath, filters: opts.filters, properties: ['openFile'] as 'openFile'[] }
      const r = w ? await dialog.showOpenDialog(w, o) : await dialog.showOpenDialog(o)
      return r.canceled ? null : (r.filePaths[0] ?? null)
    },
    async chooseFolder(opts) {
      const w = parent()
      const o = { title: opts.title, defaultPath: opts.defaultPath, properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] }
      const r = w ? await dialog.showOpenDialog(w, o) : await dialog.showOpenDialog(o)
      return r.canceled ? null : (r.filePaths[0] ?? null)
    },
    notify(n) {
      if (Notification.isSupported()) new Notification({ title: n.title, body: n.body }).show()
    },
    showInFolder(path) {
      shell.showItemInFolder(path)
    }
  }
}
