/**
 * Native parts of backups, for the Electron bootstrap: save/open/folder dialogs (the
 * renderer never sends a path), OS notifications and show-in-folder. Electron itself is
 * handed in by the bootstrap (src-main/index.ts, the only file that imports it); the
 * shapes below are the few members used, which Electron's own objects satisfy.
 */
import type { Platform } from './platform'

type BackupPlatform = Required<Pick<Platform, 'saveDialog' | 'openFileDialog' | 'chooseFolder' | 'notify' | 'showInFolder'>>

type Win = object
interface SaveOptions {
  title: string
  defaultPath: string
  filters: { name: string; extensions: string[] }[]
  properties: ('createDirectory' | 'showOverwriteConfirmation')[]
}
interface OpenOptions {
  title: string
  defaultPath: string
  filters?: { name: string; extensions: string[] }[]
  properties: ('openFile' | 'openDirectory' | 'createDirectory')[]
}
interface SaveResult {
  canceled: boolean
  filePath?: string
}
interface OpenResult {
  canceled: boolean
  filePaths: string[]
}

/** What the adapters use of Electron: `{ BrowserWindow, dialog, Notification, shell }` from 'electron'. */
export interface ElectronDialogs {
  BrowserWindow: { getFocusedWindow(): Win | null }
  dialog: {
    showSaveDialog(window: Win, options: SaveOptions): Promise<SaveResult>
    showSaveDialog(options: SaveOptions): Promise<SaveResult>
    showOpenDialog(window: Win, options: OpenOptions): Promise<OpenResult>
    showOpenDialog(options: OpenOptions): Promise<OpenResult>
  }
  Notification: { new (options: { title: string; body: string }): { show(): void }; isSupported(): boolean }
  shell: { showItemInFolder(path: string): void }
}

export function backupPlatform(electron: ElectronDialogs, getWindow: () => Win | null): BackupPlatform {
  const { BrowserWindow, dialog, Notification, shell } = electron
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
