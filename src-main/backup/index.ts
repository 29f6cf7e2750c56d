/**
 * Backups and restores. Public entry: BackupService (service.ts) composes the parts.
 * See docs/architecture.md for the map of this folder.
 */
export { BackupService, type BackupOptions, type RestoreFileOptions } from './service'
export { BackupFileError } from './container'
export { decideRetention, describePolicy, hasRetention, type RetainedBackup, type RetentionPolicy } from './retention'
