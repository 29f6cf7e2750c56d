import type { EventMap, EventName } from '../../src-preload/contract'
import type { FileDialogOptions, Platform } from '../../src-main/context'

export interface EmittedEvent {
  event: EventName
  payload: unknown
}

/**
 * The native side of the app, faked for end-to-end tests. Events go to the page;
 * every call is recorded in `calls`, and a test sets what a native call answers
 * with `answer(name, value)`.
 *
 * To fake a new Platform member, add one method here that records and answers, e.g.
 *   async showSaveDialog(opts: SaveDialogOptions) {
 *     return this.respond('showSaveDialog', [opts], { canceled: true, filePath: null })
 *   }
 * and in a spec: `harness.platform.answer('showSaveDialog', { canceled: false, filePath })`,
 * then `expect(harness.platform.callsOf('showSaveDialog')).toHaveLength(1)`.
 */
export class FakePlatform implements Platform {
  readonly emitted: EmittedEvent[] = []
  readonly calls: { name: string; args: unknown[] }[] = []
  private readonly answers = new Map<string, unknown[]>()
  private readonly sinks = new Set<(event: EventName, payload: unknown) => Promise<void>>()
  private pending: Promise<unknown>[] = []

  emit<E extends EventName>(event: E, payload: EventMap[E]): void {
    this.emitted.push({ event, payload })
    for (const sink of this.sinks) this.pending.push(sink(event, payload).catch(() => {}))
  }

  /** Waits until every event emitted so far has reached the page. */
  async flush(): Promise<void> {
    const p = this.pending
    this.pending = []
    await Promise.all(p)
  }

  /** Where emitted events go (the harness connects the page). */
  connect(sink: (event: EventName, payload: unknown) => Promise<void>): () => void {
    this.sinks.add(sink)
    return () => this.sinks.delete(sink)
  }

  // Backups: native dialogs answer null (closed) unless a spec queued a path.
  async saveDialog(opts: FileDialogOptions): Promise<string | null> {
    return this.respond<string | null>('saveDialog', [opts], null)
  }
  async openFileDialog(opts: FileDialogOptions): Promise<string | null> {
    return this.respond<string | null>('openFileDialog', [opts], null)
  }
  async chooseFolder(opts: { title: string; defaultPath: string }): Promise<string | null> {
    return this.respond<string | null>('chooseFolder', [opts], null)
  }
  notify(n: { title: string; body: string }): void {
    this.respond('notify', [n], undefined)
  }
  showInFolder(path: string): void {
    this.respond('showInFolder', [path], undefined)
  }
  // Billing: a hosted invoice "opened in the OS browser".
  openExternal(url: string): void {
    this.respond('openExternal', [url], undefined)
  }

  /** Queues the next answer of a faked call; a value queued once is used once, the last one sticks. */
  answer(name: string, ...values: unknown[]): void {
    this.answers.set(name, [...(this.answers.get(name) ?? []), ...values])
  }

  callsOf(name: string): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args)
  }

  /** For fake methods: records the call and returns the queued answer (or the fallback). */
  protected respond<T>(name: string, args: unknown[], fallback: T): T {
    this.calls.push({ name, args })
    const queue = this.answers.get(name)
    if (!queue || queue.length === 0) return fallback
    const value = queue.length > 1 ? queue.shift() : queue[0]
    if (value instanceof Error) throw value
    return value as T
  }
}
