import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { startTestPostgres } from './pg-server'

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string
    pgBinDir: string
  }
}

export default async function setup(project: TestProject) {
  const server = await startTestPostgres()
  // The console's group roles are cluster-wide: migration 0003 creates them if missing, so
  // two test files migrating their databases at the same moment could both try. Create
  // them once, up front (as an operator's first migration would).
  const admin = new pg.Client({ connectionString: server.adminUrl })
  await admin.connect()
  try {
    for (const role of ['nchat_console_support', 'nchat_console_admin']) {
      await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} NOLOGIN; END IF; END $$`)
    }
    await admin.query(
      `DO $$ BEGIN IF NOT pg_has_role('nchat_console_admin', 'nchat_console_support', 'member') THEN GRANT nchat_console_support TO nchat_console_admin; END IF; END $$`
    )
  } finally {
    await admin.end()
  }
  project.provide('pgAdminUrl', server.adminUrl)
  project.provide('pgBinDir', server.binDir)
  return () => server.stop()
}
