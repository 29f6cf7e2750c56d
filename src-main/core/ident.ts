import { AppError } from './errors'

/**
 * The one place identifiers are validated and quoted. Every schema, table or role
 * name that reaches SQL text goes through `quoteIdent`, after `assertIdentifier`
 * when it came from outside the console's own code.
 */

const MAX_IDENT_BYTES = 63
/** Lower-case ASCII identifiers as the console creates them: the safest subset. */
const STRICT_IDENT = /^[a-z_][a-z0-9_]*$/

export function identBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8')
}

/** Strict validator for names the console creates or accepts from operators. */
export function isStrictIdentifier(name: string): boolean {
  return STRICT_IDENT.test(name) && identBytes(name) <= MAX_IDENT_BYTES
}

export function assertIdentifier(name: string, what = 'identifier'): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new AppError('INVALID_INPUT', `The ${what} is empty.`)
  }
  if (identBytes(name) > MAX_IDENT_BYTES) {
    throw new AppError('INVALID_INPUT', `The ${what} "${name.slice(0, 70)}" is longer than PostgreSQL's 63-byte limit.`)
  }
  if (!STRICT_IDENT.test(name)) {
    throw new AppError(
      'INVALID_INPUT',
      `The ${what} "${name.slice(0, 70)}" may only contain lower-case letters, digits and underscores, and must not start with a digit.`
    )
  }
  return name
}

/**
 * Quotes an identifier for SQL text. Works for any name PostgreSQL can store
 * (existing schemas may have upper case); rejects NUL and over-long names.
 */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\u0000')) {
    throw new AppError('INVALID_INPUT', 'Invalid identifier.')
  }
  if (identBytes(name) > MAX_IDENT_BYTES) {
    throw new AppError('INVALID_INPUT', 'Identifier longer than 63 bytes.')
  }
  return '"' + name.replace(/"/g, '""') + '"'
}

/** Qualified name "schema"."name". */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`
}

/** Schemas the console must never drop, clone over, or treat as a tenant's. */
export function isProtectedSchema(name: string, templateSchema: string): boolean {
  const n = name.toLowerCase()
  return (
    n === 'public' ||
    n === 'console' ||
    n === 'information_schema' ||
    n.startsWith('pg_') ||
    n === templateSchema.toLowerCase()
  )
}
