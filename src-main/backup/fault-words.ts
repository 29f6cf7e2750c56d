/**
 * Words for faults met while a backup job writes files: a full disk, a read-only or
 * vanished folder, an I/O error. Without this a write error deep in a job reads as
 * "Something went wrong"; with it the job's message and its catalog row say what to do.
 * See docs/reliability.md.
 */
import { dirname } from 'node:path'

/** A person-readable message for a file-system error while writing into `dir`, or null when `e` is not one. */
export function writeFailureMessage(e: unknown, dir: string): string | null {
  switch ((e as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `The disk holding ${dir} is full (or the quota is used up): the backup was not written and its temporary file was removed. Free some space or choose another folder, then back up again.`
    case 'EROFS':
      return `The folder ${dir} is on a read-only disk. Choose another folder.`
    case 'EIO':
      return `The disk holding ${dir} reported an I/O error while the backup was written; nothing was kept. Check the disk, then back up again.`
    case 'ENOENT':
    case 'ENOTDIR':
      return `The folder ${dir} disappeared while the backup was written. Choose a folder that exists.`
    default:
      return null
  }
}

/** The same, for a destination file path. */
export function writeFailureFor(e: unknown, dest: string | null): string | null {
  return dest ? writeFailureMessage(e, dirname(dest)) : null
}
