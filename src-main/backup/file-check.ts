/**
 * Opening a backup file that an operator chose (restore from a file) or that the catalog
 * names (verify, restore of a catalog entry): before the container is read, the path is
 * checked and the file classified, so every refusal says what is wrong and what to do,
 * with a stable code (see docs/reliability.md, "Refusals of a chosen file"):
 *
 *   NOT_FOUND     nothing at the path, or a link to nothing
 *   INVALID_INPUT a folder, a device/pipe/socket, a link leading out of the file's folder,
 *                 an empty file, another format (pg_dump archive, SQL dump, gzip, zip, tar),
 *                 a truncated or damaged console backup
 *   UNSUPPORTED   a backup written by a newer console (a file format version this one
 *                 does not know)
 *
 * Messages may name the path the operator chose (their own input) and where a link points;
 * nothing else of the machine.
 */
import { lstat, open, readlink, realpath, stat } from 'node:fs/promises'
import { basename, dirname, resolve, sep } from 'node:path'
import type { Stats } from 'node:fs'
import { AppError } from '../core/errors'
import { BackupFileError, FOOTER_LEN, HEADER_LEN, MAGIC, openBackup, type OpenedBackup } from './container'

const errno = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code

/** A BackupFileError as a refusal with a stable code. */
export function backupFileRefusal(e: BackupFileError, prefix = ''): AppError {
  return new AppError(e.kind === 'newer' ? 'UNSUPPORTED' : 'INVALID_INPUT', `${prefix}${e.message}`)
}

function unreadable(path: string, e: unknown): AppError {
  switch (errno(e)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new AppError('NOT_FOUND', `There is no file at ${path}: it was moved, renamed or deleted. Choose the backup file again.`)
    case 'EACCES':
    case 'EPERM':
      return new AppError('INVALID_INPUT', `The file ${path} cannot be read (permission denied). Copy it somewhere this console can read, then choose it.`)
    case 'ELOOP':
      return new AppError('INVALID_INPUT', `${path} is a link that leads back to itself. Choose the backup file itself.`)
    case 'EISDIR':
      return new AppError('INVALID_INPUT', `${path} is a folder, not a backup file. Open the folder and choose the .nchatbak file inside it.`)
    default:
      return new AppError('INVALID_INPUT', `The file ${path} cannot be read (${errno(e) ?? 'I/O error'}). Check the disk, or use another copy of the backup.`)
  }
}

/**
 * Resolves the path to the file to read. A symbolic link is followed only when it leads
 * to a file in the chosen file's own folder (or below); the refusal says where it points.
 */
async function resolveChosen(path: string): Promise<{ real: string; st: Stats }> {
  let l: Stats
  try {
    l = await lstat(path)
  } catch (e) {
    throw unreadable(path, e)
  }
  if (!l.isSymbolicLink()) return { real: path, st: l }
  const target = await readlink(path).catch((e: unknown) => {
    throw unreadable(path, e)
  })
  let real: string
  try {
    real = await realpath(path)
  } catch (e) {
    if (errno(e) === 'ENOENT') {
      throw new AppError('NOT_FOUND', `${path} is a link to ${target}, which does not exist. Choose the backup file itself.`)
    }
    throw unreadable(path, e)
  }
  const folder = await realpath(dirname(resolve(path))).catch(() => dirname(resolve(path)))
  if (!real.startsWith(folder + sep)) {
    throw new AppError(
      'INVALID_INPUT',
      `${path} is a link to ${target}, outside the folder ${dirname(path)}. Links that lead out of the chosen file's folder are refused: copy the backup file itself into that folder and choose the copy.`
    )
  }
  try {
    return { real, st: await stat(real) }
  } catch (e) {
    throw unreadable(path, e)
  }
}

/** What a file that is not a console backup is, from its first bytes; null when unknown. */
function otherFormat(head: Buffer): string | null {
  const text = head.toString('latin1')
  if (text.startsWith('PGDMP')) {
    return 'is a pg_dump archive (custom format), not an nChat Console backup. The console restores only its own .nchatbak files, which also hold the tenant\'s public rows and checksums. Restore this archive by hand with pg_restore (pg_restore --list shows what it holds), or back the tenant up with the console and restore that file.'
  }
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') {
    return 'is a tar archive (pg_dump\'s tar format?), not an nChat Console backup. Restore it by hand with pg_restore, or choose a .nchatbak file.'
  }
  if (/^(--[^\n]*\n)*--\s*PostgreSQL database dump/.test(text) || /^--\s*\n-- PostgreSQL database (cluster )?dump/.test(text)) {
    return 'is a plain SQL dump (pg_dump\'s text format), not an nChat Console backup. Run it by hand with psql, or choose a .nchatbak file.'
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return 'is gzip-compressed, not an nChat Console backup. If it holds a backup, decompress it first (gunzip) and choose the .nchatbak file.'
  }
  if (text.startsWith('PK\x03\x04')) return 'is a zip archive, not an nChat Console backup. Extract it first and choose the .nchatbak file inside.'
  return null
}

/**
 * Checks the path and the file's kind, then opens the container (header, footer, manifest
 * and its checksum; parts are checked by verifyParts). Throws AppError refusals only.
 */
export async function openChosenBackup(path: string): Promise<OpenedBackup> {
  const { real, st } = await resolveChosen(path)
  if (st.isDirectory()) {
    throw new AppError('INVALID_INPUT', `${path} is a folder, not a backup file. Open the folder and choose the .nchatbak file inside it.`)
  }
  if (!st.isFile()) {
    // A pipe or device could block or never end: it is not even opened.
    throw new AppError('INVALID_INPUT', `${path} is not a regular file (a device, pipe or socket). Choose a .nchatbak backup file.`)
  }
  if (st.size === 0) throw new AppError('INVALID_INPUT', `${path} is empty (0 bytes): it is not a backup, or its copy was interrupted. Use another copy of the backup.`)
  const head = Buffer.alloc(Math.min(st.size, 512))
  try {
    const fh = await open(real, 'r')
    try {
      await fh.read(head, 0, head.length, 0)
    } finally {
      await fh.close()
    }
  } catch (e) {
    throw unreadable(path, e)
  }
  if (!head.subarray(0, Math.min(head.length, MAGIC.length)).equals(MAGIC.subarray(0, Math.min(head.length, MAGIC.length)))) {
    const other = otherFormat(head)
    if (other) throw new AppError('INVALID_INPUT', `${basename(path)} ${other}`)
    throw new AppError('INVALID_INPUT', `${basename(path)} is not an nChat Console backup: it does not start with the backup header (NCHATBAK). Choose a .nchatbak file written by the console.`)
  }
  if (st.size < HEADER_LEN + FOOTER_LEN) {
    throw new AppError('INVALID_INPUT', `${basename(path)} is a truncated nChat Console backup (only ${st.size} bytes): its copy was interrupted. Use another copy of the backup.`)
  }
  try {
    return await openBackup(real)
  } catch (e) {
    if (e instanceof BackupFileError) throw backupFileRefusal(e)
    throw unreadable(path, e)
  }
}
