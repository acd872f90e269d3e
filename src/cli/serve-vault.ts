// The VaultPort for the mode — the one place in the program that branches on it: paired → HTTP to
// the remote Vault; all-in-one and vault-only → the embedded Vault API on its own listener, whose
// in-process port the gateway burns through (or, in a cluster worker, the primary's over IPC).
// Also seeds the quickstart's first API key (LEDGIX_BOOTSTRAP_API_KEY or a generated one).
import { Gauge, type Registry } from 'prom-client'
import type { Config } from '../config/index.ts'
import type { StoreStats, VaultPort } from '../core/index.ts'
import { IpcVaultPort, RemoteVault } from '../gateway/index.ts'
import type { IpcEndpoint } from '../gateway/index.ts'
import type { ListenerStats, Logger, Readiness, ReviewSweepStats } from '../observability/index.ts'
import type { VaultServer } from '../vault/index.ts'
import { BOOTSTRAP_ENV } from './serve.ts'
import { VERSION } from './version.ts'

// The embedded Vault (fastify, SQLite, CEL, the ledger) loads only in the modes that run it:
// a paired gateway starts without it.
type VaultModule = typeof import('../vault/index.ts')

export interface OpenedVault {
  port: VaultPort
  /** The embedded Vault API listener, when this process runs one. */
  listener: { host: string; port: number } | null
  /** true when cluster workers must burn through this process (the store lives here). */
  servesWorkers: boolean
  readiness: Readiness
  /** The embedded store's write-path counters for /metrics; null when the store is elsewhere. */
  writePath: (() => StoreStats) | null
  /** The embedded Vault API listener's connection counters for /metrics; null when it runs elsewhere. */
  listenerStats: ListenerStats | null
  /** The embedded Vault's review sweeper counters for /metrics; null when the Vault is elsewhere. */
  reviewSweep: (() => ReviewSweepStats) | null
  /** Registers the embedded Vault's notification and live-event metrics in the /metrics registry; null when none runs here. */
  registerMetrics: ((registry: Registry) => void) | null
  close(): Promise<void>
}

const ALWAYS_READY: Readiness = { notReadyReason: () => null }

/**
 * `worker` is the cluster worker's IPC channel to the primary, or null in the primary / a single
 * process. Returns a message for the operator instead of throwing on a config the mode cannot run.
 */
export async function openVault(config: Config, logger: Logger, worker: IpcEndpoint | null): Promise<OpenedVault | string> {
  switch (config.mode) {
    case 'paired': {
      if (config.vault.url === null) return 'mode paired needs vault.url (the remote Vault\'s base URL)'
      // Workers each talk to the remote Vault directly: it is the authority, the primary adds nothing.
      const remote = new RemoteVault({
        url: config.vault.url,
        apiKey: config.vault.apiKey,
        timeoutMs: config.vault.timeoutMs,
        connections: config.vault.connections,
        jwksUrl: config.jwks.url,
        jwksTimeoutMs: config.jwks.fetchTimeoutMs,
      })
      return { port: remote, listener: null, servesWorkers: false, readiness: ALWAYS_READY, writePath: null, listenerStats: null, reviewSweep: null, registerMetrics: null, close: () => remote.close() }
    }
    case 'all-in-one':
      if (worker !== null) {
        const ipc = new IpcVaultPort(worker, config.vault.timeoutMs)
        return { port: ipc, listener: null, servesWorkers: false, readiness: ALWAYS_READY, writePath: null, listenerStats: null, reviewSweep: null, registerMetrics: null, close: () => ipc.close() }
      }
      return startEmbedded(config, logger)
    case 'vault-only':
      return startEmbedded(config, logger)
    default: {
      const never: never = config.mode
      return `unknown mode ${String(never)}`
    }
  }
}

async function startEmbedded(config: Config, logger: Logger): Promise<OpenedVault | string> {
  const log = logger.child({ component: 'vault' })
  const vault = await import('../vault/index.ts')
  const { DEFAULT_TENANT_ID, hashApiKey, startVaultServer } = vault
  const bootstrap = bootstrapKeyFor(config, vault)
  let server: VaultServer & { port: number }
  try {
    server = await startVaultServer({
      config: { ...config.vaultServer, bootstrapApiKey: bootstrap.key },
      logger: log,
      version: VERSION,
    })
  } catch (err) {
    return `cannot start the embedded Vault (data_dir ${config.vaultServer.dataDir}): ${err instanceof Error ? err.message : String(err)}`
  }
  // seedBootstrapKey only registers a key on a store with none, so a generated key that is now in
  // the store was generated for this very start: show it once.
  if (bootstrap.generated && (await server.context.store.findApiKeyByHash(hashApiKey(bootstrap.key))) !== null) {
    printGeneratedKey(bootstrap.key)
    log.warn({ tenant_id: DEFAULT_TENANT_ID }, 'generated a bootstrap API key (printed once above); set LEDGIX_BOOTSTRAP_API_KEY to choose it')
  } else if (!bootstrap.generated) {
    log.info({ tenant_id: DEFAULT_TENANT_ID }, 'bootstrap API key configured (used only while the store has no keys)')
  }
  // A log line, not a bare print: stdout stays one JSON object per line (the generated key is the exception).
  const dashboard = dashboardUrl(config.vaultServer.listen.host, server.port)
  log.info({ url: dashboard }, `dashboard: ${dashboard}`)
  const readiness = new EmbeddedVaultReadiness(server)
  return {
    port: server.vaultPort,
    listener: { host: config.vaultServer.listen.host, port: server.port },
    servesWorkers: true,
    readiness,
    writePath: () => server.context.store.stats(),
    listenerStats: server.listenerStats,
    reviewSweep: () => server.reviewSweeper.stats,
    registerMetrics: (registry) => {
      server.context.notify?.registerMetrics(registry)
      registerSealerLeader(registry, server)
      server.context.drift.registerMetrics(registry)
      server.context.live.registerMetrics(registry)
      server.context.bodies.registerMetrics(registry)
    },
    async close() {
      readiness.closing = true
      await server.close()
    },
  }
}

/** `ledgix_ledger_sealer_leader`: 1 while this process seals the ledger (always with SQLite; the elected replica with PostgreSQL). */
function registerSealerLeader(registry: Registry, server: Pick<VaultServer, 'context'>): void {
  const gauge: Gauge = new Gauge({
    name: 'ledgix_ledger_sealer_leader',
    help: '1 while this process is the ledger sealer: always with SQLite; with PostgreSQL the one replica holding the sealer lock.',
    registers: [registry],
    collect: () => gauge.set(server.context.ledgerService.sealer.isLeader ? 1 : 0),
  })
}

/** Why an embedded Vault cannot take traffic (the admin `/readyz` reason), or null when it can. */
export class EmbeddedVaultReadiness implements Readiness {
  readonly #server: Pick<VaultServer, 'app' | 'context'>
  /** Set when the process starts shutting down. */
  closing = false

  constructor(server: Pick<VaultServer, 'app' | 'context'>) {
    this.#server = server
  }

  notReadyReason(): string | null {
    if (this.closing) return 'draining'
    const server = this.#server
    if (!server.app.server.listening) return 'vault_not_listening'
    if (server.context.keyRing.signer === null) return 'no_signing_key'
    // A failed WAL fdatasync: every write is refused from then on (fail closed); a restart is needed.
    if (server.context.store.failure !== null) return 'store_failed'
    return null
  }
}

/** Configured key, else the environment's, else a fresh one (seeded only on an empty store). */
export function bootstrapKeyFor(config: Config, vault: Pick<VaultModule, 'DEFAULT_TENANT_ID' | 'newApiKey'>, env: NodeJS.ProcessEnv = process.env): { key: string; generated: boolean } {
  const configured = config.vaultServer.bootstrapApiKey
  if (configured !== null) return { key: configured, generated: false }
  const fromEnv = env[BOOTSTRAP_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return { key: fromEnv, generated: false }
  return { key: vault.newApiKey(vault.DEFAULT_TENANT_ID, 'admin', 'bootstrap', config.vaultServer.apiKeyEnv, 0).apiKey, generated: true }
}

function printGeneratedKey(key: string): void {
  const rule = '='.repeat(78)
  process.stdout.write(
    `${rule}\n` +
      ' Ledgix Vault: no API keys yet, so one was generated for the default tenant (role admin).\n' +
      ' It is shown ONCE; only its hash is stored. Use it as X-Vault-API-Key:\n\n' +
      `     ${key}\n\n` +
      ` Next time, choose it yourself: ${BOOTSTRAP_ENV}=sk_... (only used while the store has no keys).\n` +
      `${rule}\n`,
  )
}

/** The /ui/ dashboard's address, as a browser on this machine reaches it (a wildcard bind → loopback). */
export function dashboardUrl(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host
  return `http://${shown}:${port}/ui/`
}
