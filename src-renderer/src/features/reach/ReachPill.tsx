import type { StepStatus } from '../../../../src-preload/contract'
import { Pill } from '../../components/Pill'

const TONE: Record<StepStatus, string> = { pass: 'green', warn: 'amber', fail: 'red', skipped: 'gray' }

export function ReachPill({ status }: { status: StepStatus }) {
  return (
    <Pill tone={TONE[status]} dot>
      {status}
    </Pill>
  )
}
