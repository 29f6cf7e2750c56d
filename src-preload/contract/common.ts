import { z } from 'zod'

/** Shared building blocks for channel input schemas. Every string is bounded. */

/** Any well-formed 8-4-4-4-12 hex id: the app's own default tenant (00000000-...-000000000001) is not an RFC 4122 variant. */
export const Uuid = z.guid()
export const ShortText = z.string().max(200)
export const SearchText = z.string().max(200)
export const Empty = z.strictObject({})
export const ROLES = ['none', 'support', 'admin'] as const
export type ConsoleRole = (typeof ROLES)[number]
