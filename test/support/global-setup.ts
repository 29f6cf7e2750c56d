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
  project.provide('pgAdminUrl', server.adminUrl)
  project.provide('pgBinDir', server.binDir)
  return () => server.stop()
}
