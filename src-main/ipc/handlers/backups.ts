import { MAX_MATCHING } from '../../../src-preload/contract'
import type { HandlerMap } from '../registry'

type BackupChannel =
  | 'backups:tools'
  | 'backups:list'
  | 'backups:batches'
  | 'backups:jobs'
  | 'backups:export'
  | 'backups:exportMany'
  | 'backups:resumeBatch'
  | 'backups:cancel'
  | 'backups:verify'
  | 'backups:showInFolder'
  | 'backups:restore'

/** Exporting and verifying are support work; restoring replaces data, so it is admin only. */
export const backupHandlers: HandlerMap<BackupChannel> = {
  'backups:tools': { minRole: 'support', handle: (_i, ctx) => ctx.backups.toolStatus() },
  'backups:list': { minRole: 'support', handle: (i, ctx) => ctx.backups.list(i) },
  'backups:batches': { minRole: 'support', handle: (_i, ctx) => ctx.backups.batches() },
  'backups:jobs': { minRole: 'support', handle: async (_i, ctx) => ctx.backups.activeJobs() },
  'backups:export': { minRole: 'support', handle: (i, ctx) => ctx.backups.startExport(i.tenantId) },
  'backups:exportMany': {
    minRole: 'support',
    // Select all matching: the directory resolves its filter to ids here, never in the renderer.
    handle: async (i, ctx) =>
      ctx.backups.startBatch('matching' in i ? { tenantIds: await ctx.tenants.resolveConfirmed(i.matching, i.expected, MAX_MATCHING.backup) } : i)
  },
  'backups:resumeBatch': { minRole: 'support', handle: (i, ctx) => ctx.backups.resumeBatch(i.batchId) },
  'backups:cancel': { minRole: 'support', handle: (i, ctx) => ctx.backups.cancel(i.jobId) },
  'backups:verify': { minRole: 'support', handle: (i, ctx) => ctx.backups.verify(i.backupId, i.deep) },
  'backups:showInFolder': {
    minRole: 'support',
    handle: async (i, ctx) => {
      await ctx.backups.showInFolder(i.backupId)
      return { shown: true }
    }
  },
  'backups:restore': { minRole: 'admin', handle: (i, ctx) => ctx.backups.restore(i) }
}
