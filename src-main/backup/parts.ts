/** The two parts of every backup file (see docs/backup-format.md). */
export const SCHEMA_PART = 'schema.dump'
export const PUBLIC_PART = 'public.jsonl'
