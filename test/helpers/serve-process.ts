// Spawns the real CLI (`node bin/ledgix-gateway.mjs serve -c FILE --ready-file F`) for e2e tests and
// reads the bound ports from the ready file. Stdout lines are collected as parsed pino JSON.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const BIN = resolve(import.meta.dirname, '../../bin/ledgix-gateway.mjs')

export interface ServeProcess {
  child: ChildProcess
  dir: string
  configFile: string
  gatewayUrl: string
  adminUrl: string
  /** The embedded Vault API ('' when this process runs none). */
  vaultUrl: string
  /** The --demo-upstream echo ('' when not started). */
  demoUrl: string
  lines: Record<string, unknown>[]
  stderr: () => string
  exited: Promise<number | null>
  writeConfig(yaml: string): void
  stop(): Promise<void>
}

export function pairedYaml(vaultUrl: string, routesYaml: string, extra = ''): string {
  return `mode: paired
gateway:
  listen: { host: 127.0.0.1, port: 0 }
  drain_timeout: 5s
admin:
  listen: { host: 127.0.0.1, port: 0 }
vault:
  url: ${vaultUrl}
  api_key: sk_test_e2e
  timeout: 1s
token:
  clock_skew: 0s
logging:
  level: info
${extra}
routes:
${routesYaml}
`
}

/** Start the CLI; with `expectReady: false` resolve as soon as it exits (startup failures). */
export interface SpawnOptions {
  expectReady?: boolean
  timeoutMs?: number
  /** Added to the environment (LEDGIX_BOOTSTRAP_API_KEY, …). */
  env?: NodeJS.ProcessEnv
  /** Extra `serve` arguments (--demo-upstream). */
  args?: string[]
  /** Working directory (relative data_dir and policies_dir resolve here); default the temp dir. */
  cwd?: string
  /** Run this entry instead of bin/ledgix-gateway.mjs (the built bundle). */
  entry?: string
  /** Use this temp dir instead of a fresh one (it is still removed by stop()). */
  dir?: string
}

export async function spawnServe(yaml: string, options: SpawnOptions = {}): Promise<ServeProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'ledgix-e2e-'))
  const configFile = join(dir, 'gateway.yaml')
  const readyFile = join(dir, 'ready.json')
  writeFileSync(configFile, yaml)
  const child = spawn(process.execPath, [options.entry ?? BIN, 'serve', '-c', configFile, '--ready-file', readyFile, ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd ?? dir,
    env: { ...process.env, NODE_OPTIONS: '', LEDGIX_BOOTSTRAP_API_KEY: '', ...options.env },
  })
  const lines: Record<string, unknown>[] = []
  let stderr = ''
  let pending = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8')
    let nl: number
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl)
      pending = pending.slice(nl + 1)
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        lines.push({ unparsed: line })
      }
    }
  })
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)))
  const proc: ServeProcess = {
    child,
    dir,
    configFile,
    gatewayUrl: '',
    adminUrl: '',
    vaultUrl: '',
    demoUrl: '',
    lines,
    stderr: () => stderr,
    exited,
    writeConfig: (text) => writeFileSync(configFile, text),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL')
        await exited
      }
      rmSync(dir, { recursive: true, force: true })
    },
  }
  if (options.expectReady === false) {
    await Promise.race([exited, sleep(options.timeoutMs ?? 20_000)])
    return proc
  }
  const deadline = Date.now() + (options.timeoutMs ?? 20_000)
  while (!existsSync(readyFile)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await proc.stop()
      throw new Error(`serve did not become ready (exit ${child.exitCode}): ${stderr}`)
    }
    await sleep(25)
  }
  const ready = JSON.parse(readFileSync(readyFile, 'utf8')) as Record<string, { port: number } | undefined>
  const url = (a: { port: number } | undefined): string => (a === undefined ? '' : `http://127.0.0.1:${a.port}`)
  proc.gatewayUrl = url(ready['gateway'])
  proc.adminUrl = url(ready['admin'])
  proc.vaultUrl = url(ready['vault'])
  proc.demoUrl = url(ready['demo_upstream'])
  return proc
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}

/** Poll until `check` is true (bounded). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(20)
  }
}
