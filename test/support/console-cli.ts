import { spawn } from 'node:child_process'
import { join, resolve } from 'node:path'

const ROOT = resolve(__dirname, '../..')

export interface ConsoleCliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs `nchat-console` as a child process through its bin shim, as `npx nchat-console`
 * does in a checkout. No connection or operator comes from this process's environment.
 */
export function nchatConsole(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ConsoleCliResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000
  return new Promise((resolvePromise, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NCHAT_DATABASE_URL: '', NCHAT_OPERATOR_NAME: '', NCHAT_OPERATOR_EMAIL: '', ...opts.env }
    const child = spawn(process.execPath, [join(ROOT, 'bin/nchat-console.cjs'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`nchat-console ${args.slice(0, 2).join(' ')} did not finish within ${timeoutMs} ms\n${stdout}\n${stderr}`))
    }, timeoutMs)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolvePromise({ code, stdout, stderr })
    })
  })
}
