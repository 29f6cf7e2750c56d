/** Word lists the demo fleet is made of. */

export const ADJ = ['Blue', 'Bright', 'Silver', 'Rapid', 'Quiet', 'Golden', 'Northern', 'Clever', 'Bold', 'Green', 'Swift', 'Lunar', 'Solar', 'Crimson', 'Urban', 'Prime', 'Open', 'True', 'Iron', 'Coastal', 'Alpine', 'Atomic', 'Happy', 'Misty']
export const NOUN = ['River', 'Falcon', 'Harbor', 'Summit', 'Pixel', 'Forge', 'Orbit', 'Maple', 'Beacon', 'Canyon', 'Cedar', 'Comet', 'Delta', 'Ember', 'Fjord', 'Grove', 'Heron', 'Lantern', 'Meadow', 'Nimbus', 'Otter', 'Quarry', 'Ridge', 'Willow']
export const KIND = ['Labs', 'Studio', 'Works', 'Group', 'Co', 'Collective', 'Systems', 'Partners', 'Health', 'Logistics', 'Media', 'Foods', 'Robotics', 'Capital', 'Academy']
export const FIRST = ['Ava', 'Ben', 'Chloe', 'Dmitri', 'Elena', 'Farah', 'Gabriel', 'Hana', 'Ivan', 'Jun', 'Kofi', 'Lena', 'Mateo', 'Nadia', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe', "Seán", 'Renée', "D'Arcy"]
export const LAST = ['Adams', 'Bauer', 'Chen', 'Diaz', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Müller', 'Nakamura', "O'Brien", 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Usman', 'Varga', 'Weber', 'Young', 'Zhang']
export const CHANNELS = ['general', 'random', 'engineering', 'design', 'sales', 'support', 'ops', 'announcements', 'marketing', 'hiring', 'incidents', 'watercooler', 'product', 'finance']
export const WORDS = ['deploy', 'review', 'meeting', 'lunch', 'release', 'bug', 'customer', 'roadmap', 'draft', 'budget', 'launch', 'metrics', 'coffee', 'sprint', 'demo', 'feedback', 'ticket', 'invoice', 'design', 'test']
export const EMOJI = ['👍', '🎉', '❤️', '😂', '🚀', '👀', '✅', '🔥']
export const FILES: readonly (readonly [string, string])[] = [
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['pdf', 'application/pdf'],
  ['zip', 'application/zip'],
  ['mp4', 'video/mp4'],
  ['txt', 'text/plain']
]
export const AUDIT_ACTIONS = ['tenant.created', 'tenant.updated', 'user.invited', 'user.removed', 'settings.updated', 'billing.plan_changed', 'channel.created', 'domain.verified', 'tenant.suspended', 'tenant.reactivated']
export const WEBHOOK_TYPES = ['invoice.paid', 'invoice.payment_failed', 'customer.subscription.updated', 'customer.subscription.deleted', 'checkout.session.completed', 'customer.subscription.trial_will_end']
export const WEBHOOK_ERRORS = [
  'No tenant found for customer',
  'Signature verification failed: timestamp outside the tolerance zone',
  'duplicate key value violates unique constraint "tenants_stripe_subscription_id_key"',
  'Tenant metadata missing on subscription',
  'connect ETIMEDOUT 10.0.4.12:5432'
]
export const TIMEZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Tokyo', 'Australia/Sydney', 'Europe/London', 'Asia/Kolkata']

export function slugify(s: string): string {
  return s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}

export function monthsBack(now: Date, k: number): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - k, 1))
  return d.toISOString().slice(0, 7)
}
