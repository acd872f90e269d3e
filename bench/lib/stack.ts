// Starting the processes a scenario runs against: the upstream, the bare proxy, nginx, the Vault,
// the gateway (`node bin/ledgix-gateway.mjs serve -c <generated config>`) and the naive reference.
// Each start is bounded; a start that fails returns the reason instead of throwing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeConfig } from './configs.ts'
import type { Template } from './configs.ts'
import type { Ctx } from './measure.ts'
import { freePort, lastLines, spawnManaged, stopManaged, waitForHttp } from './procs.ts'
import type { Managed } from './procs.ts'
import { BENCH_AUDIENCE, BENCH_ISSUER } from './tokens.ts'

const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const REPO_DIR = dirname(BENCH_DIR)
/** Generous: without a dist bundle the gateway is compiled by tsx at start. */
const START_TIMEOUT_MS = 60_000

/** Wait until the process answers on `url`; if it does not, stop it and say why. */
async function awaitStarted(m: Managed, url: string, timeoutMs: number): Promise<Started | string> {
  try {
    await waitForHttp(`${url}/`, m, timeoutMs)
    return { m, url, note: null }
  } catch (err) {
    await stopManaged(m)
    return err instanceof Error ? err.message : String(err)
  }
}

export interface Started {
  m: Managed
  url: string
  /** Extra facts for notes ("Vault via bench/vault-host.ts: …"). */
  note: string | null
}

function tsxArgs(file: string, ...args: string[]): string[] {
  return ['--import', 'tsx', join(BENCH_DIR, file), ...args]
}

export async function startUpstream(ctx: Ctx): Promise<Started> {
  const port = await freePort()
  const m = spawnManaged('upstream', process.execPath, [join(BENCH_DIR, 'upstream.mjs'), String(port)], ctx.dir, { core: ctx.env.placement.load })
  const url = `http://127.0.0.1:${port}`
  await waitForHttp(`${url}/`, m, 10_000)
  return { m, url, note: null }
}

/** bench/sink-upstream.mjs on the load core: counts request bodies, echoes WebSocket messages. */
export async function startSink(ctx: Ctx): Promise<Started | string> {
  const port = await freePort()
  const m = spawnManaged('sink-upstream', process.execPath, [join(BENCH_DIR, 'sink-upstream.mjs'), String(port)], ctx.dir, { core: ctx.env.placement.load, cwd: REPO_DIR })
  return awaitStarted(m, `http://127.0.0.1:${port}`, 10_000)
}

export async function startBareProxy(ctx: Ctx, upstream: string): Promise<Started | string> {
  const port = await freePort()
  const m = spawnManaged('bare-proxy', process.execPath, tsxArgs('bare-proxy.ts', String(port), upstream), ctx.dir, { core: ctx.env.placement.sut, cwd: REPO_DIR })
  return awaitStarted(m, `http://127.0.0.1:${port}`, START_TIMEOUT_MS)
}

export async function startNginx(ctx: Ctx, upstreamPort: number): Promise<Started | string> {
  if (ctx.env.nginx === null) return 'nginx is not installed and could not be installed (apt-get install nginx-light)'
  const prefix = join(ctx.dir, 'nginx')
  mkdirSync(join(prefix, 'logs'), { recursive: true })
  const port = await freePort()
  const template = readFileSync(join(BENCH_DIR, 'nginx', 'nginx.conf.template'), 'utf8')
  const conf = join(prefix, 'nginx.conf')
  writeFileSync(conf, template.replaceAll('{{PREFIX}}', prefix).replaceAll('{{PORT}}', String(port)).replaceAll('{{UPSTREAM_PORT}}', String(upstreamPort)))
  const m = spawnManaged('nginx', ctx.env.nginx, ['-p', prefix, '-c', conf, '-g', 'daemon off;'], ctx.dir, { core: ctx.env.placement.sut })
  return awaitStarted(m, `http://127.0.0.1:${port}`, 10_000)
}

export interface VaultStarted extends Started {
  apiKey: string
}

export interface VaultOptions {
  /** Temp-dir name of the config/data and log name stem (default vault-only). */
  name?: string
  /** CPU list to pin it to (default the SUT core). */
  core?: string | null
  template?: Template
  values?: Readonly<Record<string, string | number>>
}

/** The Vault alone: `serve` in vault-only mode, or bench/vault-host.ts when serve cannot run it yet. */
export async function startVault(ctx: Ctx, apiKey: string, options: VaultOptions = {}): Promise<VaultStarted | string> {
  const name = options.name ?? 'vault-only'
  const core = options.core === undefined ? ctx.env.placement.sut : options.core
  const vaultPort = await freePort()
  const adminPort = await freePort()
  const config = writeConfig(ctx.dir, name, options.template ?? 'vault-only', ctx.key, ctx.opts.logLevel, { VAULT_PORT: vaultPort, ADMIN_PORT: adminPort, API_KEY: apiKey, ...options.values })
  const url = `http://127.0.0.1:${vaultPort}`
  // --cpu-prof: the Vault's profile lands in <dir>/<name>/ when it exits after SIGTERM.
  const prof = ctx.opts.profile ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.dir, name)] : []
  const serve = spawnManaged(`${name}-serve`, process.execPath, [...prof, ctx.entry.script, 'serve', '-c', config.file], ctx.dir, { core, cwd: REPO_DIR })
  let serveProblem: string
  try {
    await waitForHttp(`${url}/health`, serve, START_TIMEOUT_MS)
    return { m: serve, url, apiKey, note: 'Vault: serve (vault-only)' }
  } catch (err) {
    await stopManaged(serve)
    serveProblem = lastLines(serve.tail(), 1) || (err instanceof Error ? err.message : String(err))
  }
  const host = spawnManaged(`${name}-host`, process.execPath, tsxArgs('vault-host.ts', config.file), ctx.dir, { core, cwd: REPO_DIR })
  try {
    await waitForHttp(`${url}/health`, host, START_TIMEOUT_MS)
    return { m: host, url, apiKey, note: `Vault: bench/vault-host.ts (serve vault-only not available: ${serveProblem})` }
  } catch (err) {
    await stopManaged(host)
    return `serve vault-only: ${serveProblem}; bench/vault-host.ts: ${err instanceof Error ? err.message : String(err)}`
  }
}

export interface GatewayStarted extends Started {
  adminUrl: string
  mode: Template
  /** Spawn → /readyz 200, ms. */
  readyMs: number
}

export interface GatewayOptions {
  /** Added to the gateway's environment (the soak's MALLOC_ARENA_MAX knob). */
  env?: Readonly<Record<string, string>>
  /** Extra node flags before the entry script (the soak's `--inspect=127.0.0.1:<port>`). */
  nodeArgs?: readonly string[]
}

/**
 * BENCH_GATEWAY_NODE_FLAGS: node/V8 flags for every gateway process, space-separated (experiments
 * such as `--min-semi-space-size=16`, which NODE_OPTIONS does not accept).
 */
const EXTRA_NODE_FLAGS: readonly string[] = (process.env['BENCH_GATEWAY_NODE_FLAGS'] ?? '').split(' ').filter((flag) => flag !== '')

/** `serve -c` with a config rendered from bench/configs/<template>.yaml; ready when /readyz says 200. */
export async function startGateway(ctx: Ctx, name: string, template: Template, values: Record<string, string | number>, options: GatewayOptions = {}): Promise<GatewayStarted | string> {
  const { env, nodeArgs = [] } = options
  const gatewayPort = await freePort()
  const adminPort = await freePort()
  const vaultPort = await freePort()
  const config = writeConfig(ctx.dir, name, template, ctx.key, ctx.opts.logLevel, { GATEWAY_PORT: gatewayPort, ADMIN_PORT: adminPort, VAULT_PORT: vaultPort, ...values })
  const started = performance.now()
  // --cpu-prof writes <dir>/<name>/*.cpuprofile when the process exits after SIGTERM (open in Chrome DevTools or speedscope).
  const prof = ctx.opts.profile ? ['--cpu-prof', '--cpu-prof-dir', join(ctx.dir, name)] : []
  const m = spawnManaged(name, process.execPath, [...prof, ...EXTRA_NODE_FLAGS, ...nodeArgs, ctx.entry.script, 'serve', '-c', config.file, '--ready-file', join(ctx.dir, name, 'ready.json')], ctx.dir, {
    core: ctx.env.placement.sut,
    cwd: REPO_DIR,
    ...(env === undefined ? {} : { env: { ...process.env, ...env } }),
  })
  const adminUrl = `http://127.0.0.1:${adminPort}`
  try {
    await waitForHttp(`${adminUrl}/readyz`, m, START_TIMEOUT_MS, 200, 5)
  } catch (err) {
    await stopManaged(m)
    return m.isDead() ? lastLines(m.tail(), 2) : err instanceof Error ? err.message : String(err)
  }
  return { m, url: `http://127.0.0.1:${gatewayPort}`, adminUrl, mode: template, readyMs: performance.now() - started, note: null }
}

export async function startNaive(ctx: Ctx, upstream: string, vault: VaultStarted, name = 'naive-gateway'): Promise<Started | string> {
  const port = await freePort()
  const m = spawnManaged(name, process.execPath, tsxArgs('naive-gateway.ts', String(port), upstream, vault.url, vault.apiKey, BENCH_ISSUER, BENCH_AUDIENCE), ctx.dir, {
    core: ctx.env.placement.sut,
    cwd: REPO_DIR,
  })
  const url = `http://127.0.0.1:${port}`
  try {
    // No token: the naive gateway answers 401 once it listens.
    await waitForHttp(`${url}/gated`, m, START_TIMEOUT_MS, 401)
    return { m, url, note: null }
  } catch (err) {
    await stopManaged(m)
    return err instanceof Error ? err.message : String(err)
  }
}
