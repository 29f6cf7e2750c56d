import type { EventMap, EventName } from '../../src-preload/contract'

/**
 * Native things only the Electron bootstrap can do; tests supply fakes. Services receive
 * it as a constructor argument: the interface lives here, apart from the context, so no
 * service imports the context that composes them.
 */
export interface Platform {
  /** Sends an event to the renderer. */
  emit<E extends EventName>(event: E, payload: EventMap[E]): void
  /** The app's user-data folder (profiles file, demo cluster). Tests use a temp folder. */
  userDataDir?: string
  /** Native save dialog; resolves to the chosen path, or null when closed. (Backups) */
  saveDialog?(opts: FileDialogOptions): Promise<string | null>
  /** Native open-file dialog; the chosen path, or null. (Backups: restore from a file) */
  openFileDialog?(opts: FileDialogOptions): Promise<string | null>
  /** Native choose-folder dialog; the chosen folder, or null. (Backups: back up many) */
  chooseFolder?(opts: { title: string; defaultPath: string }): Promise<string | null>
  /** OS notification (e.g. a long backup ended). */
  notify?(n: { title: string; body: string }): void
  /** Reveals a file in the OS file manager. */
  showInFolder?(path: string): void
  /** Opens an https URL in the OS browser (billing: a Stripe hosted invoice). */
  openExternal?(url: string): void
}

export interface FileDialogOptions {
  title: string
  defaultPath: string
  filters: { name: string; extensions: string[] }[]
}
