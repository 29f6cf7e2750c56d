/**
 * The console's Platform for a terminal: events become a progress line on stderr (only
 * when stderr is a terminal), the save/open/folder dialogs are answered by the command's
 * --out/--file/--dir flags, notifications go nowhere.
 */
import { describeJob, type BackupProgress, type EventMap, type EventName } from '../../src-preload/contract'
import type { FileDialogOptions, Platform } from '../context'

export interface TerminalAnswers {
  /** --out: where an export is written. */
  out?: string
  /** --file: the backup file to restore. */
  file?: string
  /** --dir (or --out): the folder of a batch. */
  dir?: string
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`
  return `${(n / 1024 ** 3).toFixed(2)} GiB`
}

export function progressLine(p: BackupProgress): string {
  const what = describeJob(p)
  const parts = [`${what}: ${p.phase}`]
  if (p.tenantsTotal > 1) parts.push(`${p.tenantsDone}/${p.tenantsTotal} tenants${p.tenantsFailed ? `, ${p.tenantsFailed} failed` : ''}`)
  if (p.tablesTotal) parts.push(`${p.tablesDone}/${p.tablesTotal} tables`)
  if (p.bytes) parts.push(bytes(p.bytes))
  return parts.join(', ')
}

export class TerminalPlatform implements Platform {
  userDataDir?: string
  private shown = false

  constructor(
    private readonly answers: TerminalAnswers,
    opts: { userDataDir?: string; stderr?: NodeJS.WriteStream } = {}
  ) {
    this.userDataDir = opts.userDataDir
    this.stderr = opts.stderr ?? process.stderr
  }

  private readonly stderr: NodeJS.WriteStream

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    if (event !== 'backups:progress' || !this.stderr.isTTY) return
    const p = payload as BackupProgress
    const width = Math.max(20, (this.stderr.columns || 100) - 1)
    const line = progressLine(p).slice(0, width)
    this.stderr.write(`\r\x1b[2K${line}`)
    this.shown = true
    if (p.phase === 'done') this.endProgress()
  }

  /** Ends the progress line so what follows starts on its own line. */
  endProgress(): void {
    if (this.shown && this.stderr.isTTY) this.stderr.write('\r\x1b[2K')
    this.shown = false
  }

  async saveDialog(_opts: FileDialogOptions): Promise<string | null> {
    return this.answers.out ?? null
  }

  async openFileDialog(_opts: FileDialogOptions): Promise<string | null> {
    return this.answers.file ?? null
  }

  async chooseFolder(_opts: { title: string; defaultPath: string }): Promise<string | null> {
    return this.answers.dir ?? null
  }

  notify(): void {
    /* a terminal has no notifications; the command's own output says how it ended */
  }
}
