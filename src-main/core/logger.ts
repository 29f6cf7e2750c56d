/**
 * Console log with secret redaction. Anything that looks like a password in a URL,
 * a Stripe key or a key=value secret is masked before it is written.
 */
const registered = new Set<string>()

export function registerSecret(value: string | null | undefined): void {
  if (value && value.length >= 4) registered.add(value)
}

export function redact(text: string): string {
  let out = text
    .replace(/(postgres(?:ql)?:\/\/[^:/\s]+:)[^@\s]+@/gi, '$1***@')
    .replace(/(redis(?:s)?:\/\/[^:/\s]*:)[^@\s]+@/gi, '$1***@')
    .replace(/\b(sk|rk|whsec)_(test|live)?_?[A-Za-z0-9]{6,}/g, '$1_***')
    .replace(/(password|passwd|secret|token|apikey|api_key)(["'\s:=]+)([^"'\s,}]+)/gi, '$1$2***')
  for (const s of registered) out = out.split(s).join('***')
  return out
}

type Level = 'debug' | 'info' | 'warn' | 'error'
type Sink = (line: string) => void
let sink: Sink = (line) => process.stderr.write(line + '\n')
let minLevel: Level = process.env.NCHAT_LOG_LEVEL === 'debug' ? 'debug' : 'info'
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export function setLogSink(s: Sink, level?: Level): void {
  sink = s
  if (level) minLevel = level
}

function fmt(v: unknown): string {
  if (v instanceof Error) return `${v.name}: ${v.message}${(v as { code?: string }).code ? ` [${(v as { code?: string }).code}]` : ''}`
  if (typeof v === 'string') return v
  try {
    return JSON.stringify(v)
  } catch {
    return String(v)
  }
}

function write(level: Level, msg: string, extra: unknown[]): void {
  if (ORDER[level] < ORDER[minLevel]) return
  const line = `${new Date().toISOString()} ${level.toUpperCase()} ${msg}${extra.length ? ' ' + extra.map(fmt).join(' ') : ''}`
  sink(redact(line))
}

export const log = {
  debug: (msg: string, ...extra: unknown[]) => write('debug', msg, extra),
  info: (msg: string, ...extra: unknown[]) => write('info', msg, extra),
  warn: (msg: string, ...extra: unknown[]) => write('warn', msg, extra),
  error: (msg: string, ...extra: unknown[]) => write('error', msg, extra)
}
