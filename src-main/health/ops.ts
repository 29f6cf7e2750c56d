import type { Checklist, IncidentPreview, IncidentRestored, IncidentStarted, OrphanAdopted, OrphanDropped, OrphanSuggestion, ParsedInputOf } from '../../src-preload/contract'
import { AppError } from '../core/errors'
import type { ConnectionManager } from '../db/connection'
import type { LifecycleService } from '../lifecycle'
import type { SessionService } from '../session'
import { runChecklist } from './checklist'
import { Incidents } from './incident'
import { Orphans, type OrphanDeps } from './orphans'

/**
 * What an operator does from the health screen: the guide's checklist, incident mode,
 * orphan schemas. The lifecycle (its suspend and reactivate rules) and the backup
 * machinery are given by the context.
 */
export class HealthOpsService {
  private readonly incidents: Incidents
  private readonly orphans: Orphans

  constructor(
    private readonly db: ConnectionManager,
    private readonly session: SessionService,
    deps: { lifecycle: Pick<LifecycleService, 'transitionWithin'>; backupSchema: OrphanDeps['backupSchema'] }
  ) {
    const layout = () => this.session.layout()
    this.incidents = new Incidents({ db, layout, lifecycle: deps.lifecycle })
    this.orphans = new Orphans({ db, layout, backupSchema: deps.backupSchema })
  }

  async checklist(): Promise<Checklist> {
    const target = this.db.target
    if (!target) throw new AppError('NOT_CONFIGURED', 'No database is selected. Choose a connection profile or open the demo.')
    return runChecklist({ db: this.db, layout: await this.session.layout(), target })
  }

  incidentPreview(): Promise<IncidentPreview> {
    return this.incidents.preview()
  }
  incidentStart(input: ParsedInputOf<'health:incidentStart'>): Promise<IncidentStarted> {
    return this.incidents.start(input)
  }
  incidentRestore(incidentId: string): Promise<IncidentRestored> {
    return this.incidents.restore(incidentId)
  }

  orphanSuggest(schema: string): Promise<OrphanSuggestion> {
    return this.orphans.suggest(schema)
  }
  orphanAdopt(input: ParsedInputOf<'health:orphanAdopt'>): Promise<OrphanAdopted> {
    return this.orphans.adopt(input)
  }
  orphanDrop(input: ParsedInputOf<'health:orphanDrop'>): Promise<OrphanDropped> {
    return this.orphans.drop(input)
  }
}
