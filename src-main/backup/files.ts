/** Backup files on disk: default names, folder errors in words, directory fsync, and a small task limiter. */
import { open } from 'node:fs/promises'
import { FILE_EXTENSION } from './container'

function safeSlugForFile(slug: string): string {
  return slug.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80) || 'tenant'
}

export function defaultFileName(slug: string, at = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')
  return `${safeSlugForFile(slug)}-${ts}.${FILE_EXTENSION}`
}

export function fsMessage(e: unknown, dir: string): string {
  const code = (e as NodeJS.ErrnoException)?.code
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `The folder ${dir} cannot be written (permission denied). Choose another folder.`
    case 'EROFS':
      return `The folder ${dir} is on a read-only disk. Choose another folder.`
    case 'ENOENT':
    case 'ENOTDIR':
      return `The folder ${dir} does not exist.`
    case 'ENOSPC':
      return `The disk holding ${dir} is full.`
    default:
      return `The backup file could not be written in ${dir} (${code ?? 'I/O error'}).`
  }
}

export async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  try {
    const fh = await open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  } catch {
    /* some filesystems refuse directory fsync */
  }
}

/** Runs at most n tasks at a time. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0
  const queue: (() => void)[] = []
  return (task) =>
    new Promise((resolve, reject) => {
      const start = () => {
        active++
        task()
          .then(resolve, reject)
          .finally(() => {
            active--
            queue.shift()?.()
          })
      }
      if (active < n) start()
      else queue.push(start)
    })
}
