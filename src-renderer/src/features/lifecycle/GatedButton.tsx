import type { ButtonHTMLAttributes } from 'react'

/** What the connected role may do with one action (from the capabilities query). */
interface Permission {
  allowed: boolean
  reason?: string | null
}

/**
 * A button for an action the connected role may not have: disabled until the role's
 * capabilities are known, and when they deny it, with the reason as its tooltip.
 */
export function GatedButton({ permission, disabled, title, ...rest }: { permission: Permission | undefined } & ButtonHTMLAttributes<HTMLButtonElement>) {
  const denied = permission && !permission.allowed ? permission.reason ?? undefined : undefined
  return <button type="button" {...rest} disabled={!permission?.allowed || disabled} title={denied ?? title} />
}
