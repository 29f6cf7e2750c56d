/** Native services as the rest of main sees them (no Electron here): the Platform interface and its Electron adapters. */
export type { FileDialogOptions, Platform } from './platform'
export { backupPlatform, type ElectronDialogs } from './backups'
