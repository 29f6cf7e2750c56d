import { z } from 'zod'

/** Shared building blocks for channel input schemas. Every string is bounded. */
export const Uuid = z.string().uuid()
export const ShortText = z.string().max(200)
export const SearchText = z.string().max(200)
export const Empty = z.strictObject({})
export const ROLES = ['none', 'support', 'admin'] as const
export type ConsoleRole = (typeof ROLES)[number]
