import { inject } from 'vitest'
import pg from 'pg'
import { createDatabase } from './pg-server'

/** A fresh database for one test file, dropped afterwards. */
export async function freshDatabase(prefix = 't') {
  const db = await createDatabase(inject('pgAdminUrl'), prefix)
  const client = new pg.Client({ connectionString: db.url })
  await client.connect()
  return {
    ...db,
    client,
    async close() {
      await client.end().catch(() => {})
      await db.drop()
    }
  }
}
