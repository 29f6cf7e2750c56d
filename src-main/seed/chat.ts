/** The chat data inside one tenant schema (users, channels, messages, threads, ...), and the row counts of a run. */
import { quoteIdent } from '../core/ident'
import type { Rng } from './random'
import { APP_TABLES, type TemplateTables } from './template'
import { insert, type Lit } from './sql'
import { CHANNELS, EMOJI, FILES, FIRST, LAST, WORDS, slugify } from './words'

const DAY = 86_400_000

export interface Volumes {
  users: [number, number]
  channels: [number, number]
  messages: [number, number]
  threads: [number, number]
  notifications: [number, number]
  invites: [number, number]
  audit: [number, number]
  publicInvites: [number, number]
  publicAudit: [number, number]
  webhooks: [number, number]
  batch: number
}

export class RowCounter {
  readonly rows: Record<string, number> = {}
  add(table: string, n: number): void {
    this.rows[table] = (this.rows[table] ?? 0) + n
  }
}

/** Chat data inside one tenant schema. Identity ids are 1..n in insert order (fresh tables). */
export function chatRows(schema: string, rng: Rng, v: Volumes, since: Date, now: Date, slug: string, out: RowCounter, tables: TemplateTables = APP_TABLES): string {
  const s = quoteIdent(schema)
  const t = (what: keyof TemplateTables) => `${s}.${quoteIdent(tables[what])}`
  const span = Math.max(DAY, now.getTime() - since.getTime())
  const at = () => new Date(since.getTime() + Math.floor(rng.float() * span))
  let sql = ''

  const nUsers = rng.int(...v.users)
  const users: Lit[][] = []
  for (let i = 1; i <= nUsers; i++) {
    const f = rng.pick(FIRST)
    const l = rng.pick(LAST)
    const created = at()
    users.push([
      `${slugify(f)}.${slugify(l)}.${i}@${slug}.example.com`,
      `${f} ${l}`,
      i === 1 ? 'owner' : rng.weighted([['member', 80], ['admin', 12], ['guest', 8]] as const),
      rng.chance(0.6) ? `https://cdn.example.com/avatars/${rng.hex(12)}.png` : null,
      rng.chance(0.92),
      rng.chance(0.8) ? at() : null,
      created,
      created
    ])
  }
  sql += insert(t('users'), ['email', 'display_name', 'role', 'avatar_url', 'is_active', 'last_seen_at', 'created_at', 'updated_at'], users)

  const nChannels = Math.min(rng.int(...v.channels), CHANNELS.length)
  const channelNames = rng.shuffle(CHANNELS).slice(0, nChannels)
  if (!channelNames.includes('general')) channelNames[0] = 'general'
  const channels = channelNames.map((name) => {
    const c = at()
    return [name, rng.chance(0.5) ? `All about ${name}` : null, rng.chance(0.2), rng.int(1, nUsers), c, c] as Lit[]
  })
  sql += insert(t('channels'), ['name', 'topic', 'is_private', 'created_by', 'created_at', 'updated_at'], channels)

  const members: Lit[][] = []
  for (let c = 1; c <= nChannels; c++) {
    for (let u = 1; u <= nUsers; u++) if (c === 1 || rng.chance(0.5)) members.push([c, u, u === 1 ? 'owner' : 'member', at()])
  }
  sql += insert(t('channel_members'), ['channel_id', 'user_id', 'role', 'joined_at'], members)

  const nThreads = rng.int(...v.threads)
  const threads: Lit[][] = []
  for (let i = 0; i < nThreads; i++) threads.push([rng.int(1, nChannels), `${rng.pick(WORDS)} ${rng.pick(WORDS)}`, at()])
  sql += insert(t('threads'), ['channel_id', 'title', 'created_at'], threads)

  const nMessages = rng.int(...v.messages)
  const messages: Lit[][] = []
  for (let i = 0; i < nMessages; i++) {
    const created = at()
    const words = Array.from({ length: rng.int(3, 14) }, () => rng.pick(WORDS)).join(' ')
    messages.push([
      rng.int(1, nChannels),
      nThreads && rng.chance(0.15) ? rng.int(1, nThreads) : null,
      rng.chance(0.97) ? rng.int(1, nUsers) : null,
      words.charAt(0).toUpperCase() + words.slice(1) + rng.pick(['.', '!', '?', ' 🙂', '']),
      rng.chance(0.08) ? created : null,
      created,
      created
    ])
  }
  sql += insert(t('messages'), ['channel_id', 'thread_id', 'user_id', 'body', 'edited_at', 'created_at', 'updated_at'], messages)

  const reactions: Lit[][] = []
  const seen = new Set<string>()
  const nReactions = Math.max(1, Math.round(nMessages * 0.3))
  for (let i = 0; i < nReactions; i++) {
    const m = rng.int(1, nMessages)
    const u = rng.int(1, nUsers)
    const e = rng.pick(EMOJI)
    const key = `${m}:${u}:${e}`
    if (seen.has(key)) continue
    seen.add(key)
    reactions.push([m, u, e, at()])
  }
  sql += insert(t('reactions'), ['message_id', 'user_id', 'emoji', 'created_at'], reactions)

  const attachments: Lit[][] = []
  const nAttachments = Math.max(1, Math.round(nMessages * 0.1))
  for (let i = 0; i < nAttachments; i++) {
    const [ext, type] = rng.pick(FILES)
    const size = ext === 'mp4' ? rng.int(5_000_000, 900_000_000) : ext === 'zip' ? rng.int(100_000, 200_000_000) : rng.int(2_000, 8_000_000)
    attachments.push([rng.int(1, nMessages), `${rng.pick(WORDS)}-${rng.int(1, 999)}.${ext}`, type, size, `${slug}/${rng.hex(24)}.${ext}`, at()])
  }
  sql += insert(t('attachments'), ['message_id', 'file_name', 'content_type', 'size_bytes', 'storage_key', 'created_at'], attachments)

  const invites: Lit[][] = []
  for (let i = rng.int(...v.invites); i > 0; i--) {
    const created = at()
    invites.push([
      `${slugify(rng.pick(FIRST))}${rng.int(1, 999)}@example.net`,
      rng.int(1, nUsers),
      rng.hex(20),
      new Date(created.getTime() + 7 * DAY),
      rng.chance(0.4) ? new Date(created.getTime() + DAY) : null
    ])
  }
  sql += insert(t('invites'), ['email', 'invited_by', 'code', 'expires_at', 'accepted_at'], invites)

  const notifications: Lit[][] = []
  for (let i = rng.int(...v.notifications); i > 0; i--) {
    const created = at()
    notifications.push([
      rng.int(1, nUsers),
      rng.pick(['mention', 'reply', 'reaction', 'invite', 'system']),
      { messageId: rng.int(1, nMessages) },
      rng.chance(0.6) ? new Date(created.getTime() + 3_600_000) : null,
      created
    ])
  }
  sql += insert(t('notifications'), ['user_id', 'kind', 'payload', 'read_at', 'created_at'], notifications)

  const audit: Lit[][] = []
  for (let i = rng.int(...v.audit); i > 0; i--) {
    audit.push([rng.chance(0.9) ? rng.int(1, nUsers) : null, rng.pick(['login', 'logout', 'channel.create', 'message.delete', 'user.invite', 'settings.change']), { ip: `198.51.100.${rng.int(1, 254)}` }, at()])
  }
  sql += insert(t('audit_log'), ['user_id', 'action', 'details', 'created_at'], audit)

  out.add('schema.users', users.length)
  out.add('schema.channels', channels.length)
  out.add('schema.channel_members', members.length)
  out.add('schema.threads', threads.length)
  out.add('schema.messages', messages.length)
  out.add('schema.reactions', reactions.length)
  out.add('schema.attachments', attachments.length)
  out.add('schema.invites', invites.length)
  out.add('schema.notifications', notifications.length)
  out.add('schema.audit_log', audit.length)
  return sql
}

// ---------------------------------------------------------------------------
