import { spawn } from 'node:child_process'
import { Redis } from 'ioredis'
import { freePort } from './pg-server'

/** A throwaway real redis-server on a free local port (no persistence), ready when this resolves. */
export async function startRedis(): Promise<{ port: number; stop(): void }> {
  const port = await freePort()
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1'], { stdio: 'ignore' })
  for (let i = 0; ; i++) {
    const probe = new Redis({ port, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
    probe.on('error', () => {})
    try {
      await probe.connect()
      await probe.quit()
      break
    } catch (e) {
      probe.disconnect()
      if (i > 50) {
        proc.kill('SIGTERM')
        throw e
      }
      await new Promise((r) => setTimeout(r, 100))
    }
  }
  return { port, stop: () => proc.kill('SIGTERM') }
}
