import type { CSSProperties } from 'react'
import { DEFAULT_SCREEN, SCREENS } from './app/screens'
import { FirstRun, useNeedsFirstRun } from './features/profiles/FirstRun'
import { DbBanner } from './shell/DbBanner'
import { useDbRecovery, useDbUnavailable } from './shell/dbHealth'
import { Nav } from './shell/Nav'
import { TopBar } from './shell/TopBar'
import { useSession, useSessionChanges } from './shell/session'
import { useHashRoute } from './shell/useHashRoute'

/** Colour that frames the window when a profile has an environment but no colour of its own. */
const ENV_FALLBACK: [RegExp, string][] = [
  [/prod/i, '#d64545'],
  [/stag|uat|pre/i, '#d9822b'],
  [/dev|local|test/i, '#2f9e62'],
  [/demo/i, '#7c5cff']
]
const SAFE_COLOR = /^#[0-9a-f]{3,8}$/i

function envColor(env: string | null | undefined, color: string | null | undefined): string | null {
  if (color && SAFE_COLOR.test(color)) return color
  if (!env) return null
  return ENV_FALLBACK.find(([re]) => re.test(env))?.[1] ?? '#6b7785'
}

export function App() {
  const session = useSession()
  const epoch = useSessionChanges()
  const [screenId, go] = useHashRoute(DEFAULT_SCREEN)
  const down = useDbUnavailable()
  const recovery = useDbRecovery(down)
  const screen = SCREENS.find((s) => s.id === screenId) ?? SCREENS[0]!
  const Screen = screen.component
  const color = envColor(session.data?.environment, session.data?.environmentColor)
  const style = color ? ({ '--env': color } as CSSProperties) : undefined
  // No database and no saved profile: offer "Connect to a database" or "Open the demo".
  const firstRun = useNeedsFirstRun(session.data)
  if (firstRun) return <FirstRun />

  return (
    <div className={`app${color ? ' has-env' : ''}`} style={style} data-environment={session.data?.environment ?? undefined}>
      <Nav screens={SCREENS} current={screen.id} role={session.data?.role ?? 'none'} onSelect={go} />
      <div className="main">
        <TopBar session={session.data} loading={session.isPending} />
        {down && <DbBanner onRetry={() => void recovery.retry()} retrying={recovery.retrying} />}
        <main className="screen" key={`${screen.id}:${epoch}`} aria-label={screen.label}>
          <Screen />
        </main>
      </div>
    </div>
  )
}
