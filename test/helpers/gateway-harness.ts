// Builds a paired-mode gateway in-process from a Config object (no YAML): vault stub + upstream +
// RemoteVault + JwksCache + Gateway + admin server on 127.0.0.1:0, with pino captured into a sink.
import { Writable } from 'node:stream'
import type { AddressInfo } from 'node:net'
import { systemClock } from '../../src/core/index.ts'
import type { Clock } from '../../src/core/index.ts'
import { ADMIN_LISTENER_DEFAULTS, GATEWAY_LISTENER_DEFAULTS, defaultListenerLimits } from '../../src/config/index.ts'
import type { Config, RouteConfig } from '../../src/config/index.ts'
import { Gateway, RemoteVault, compileRuntime, createJwksObserver } from '../../src/gateway/index.ts'
import { GatewayMetrics, closeServer, createAdminServer, createRootLogger, listen } from '../../src/observability/index.ts'
import type { Logger } from '../../src/observability/index.ts'
import { JwksCache } from '../../src/token/index.ts'
import { newSigner } from './tokens.ts'
import type { TestSigner } from './tokens.ts'
import { Upstream } from './upstream.ts'
import { VaultStub } from './vault-stub.ts'

type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends readonly unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] }

export function testRoute(name: string, upstreamUrl: string, overrides: Partial<RouteConfig> = {}): RouteConfig {
  return {
    name,
    match: { host: null, pathPrefix: '/v1', methods: null },
    upstream: { url: upstreamUrl, connectTimeoutMs: 2000, headersTimeoutMs: 5000, bodyTimeoutMs: 5000, keepAliveTimeoutMs: 4000, connections: 16 },
    auth: 'token',
    tools: ['stripe_refund'],
    bindArgs: 'none',
    maxBodyBytes: 1024 * 1024,
    maxInflightBodyBytes: 32 * 1024 * 1024,
    stripHeaders: [],
    forwardAuthorization: false,
    stripPrefix: false,
    websocket: true,
    ...overrides,
  }
}

export function testConfig(vaultUrl: string, routes: RouteConfig[], overrides: DeepPartial<Config> = {}): Config {
  const base: Config = {
    mode: 'paired',
    gateway: {
      listen: { host: '127.0.0.1', port: 0 },
      trustedProxies: [],
      drainTimeoutMs: 2000,
      maxHeaderBytes: 16384,
      requestTimeoutMs: 30_000,
      maxHeaderCount: 80,
      pathRules: { rejectPercentEncoded: false },
      workers: 1,
      maxInflightBodyBytes: 128 * 1024 * 1024,
      limits: { ...defaultListenerLimits(GATEWAY_LISTENER_DEFAULTS), requestTimeoutMs: 30_000 },
    },
    admin: { listen: { host: '127.0.0.1', port: 0 }, limits: defaultListenerLimits(ADMIN_LISTENER_DEFAULTS) },
    vault: { url: vaultUrl, apiKey: 'sk_test_gateway', timeoutMs: 1000, connections: 8 },
    token: { issuer: 'alcv-vault', audience: 'ledgix-sdk', subject: 'clearance', clockSkewMs: 0, replayCacheSize: 1000, requireExp: true },
    jwks: { url: null, refreshIntervalMs: 300_000, minRefreshMs: 30_000, maxRefreshMs: 3_600_000, kidMissCooldownMs: 0, maxStaleMs: 3_600_000, fetchTimeoutMs: 1000 },
    routes,
    logging: { level: 'info' },
    // The gateway never reads the embedded Vault's settings; the Vault tests cover them.
    vaultServer: {} as Config['vaultServer'],
  }
  return {
    ...base,
    ...overrides,
    gateway: { ...base.gateway, ...overrides.gateway },
    admin: { ...base.admin, ...overrides.admin },
    vault: { ...base.vault, ...overrides.vault },
    token: { ...base.token, ...overrides.token },
    jwks: { ...base.jwks, ...overrides.jwks },
  } as Config
}

/** Collects pino lines as parsed objects. */
export class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = []
  readonly raw: string[] = []
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue
      this.raw.push(line)
      this.lines.push(JSON.parse(line) as Record<string, unknown>)
    }
    done()
  }
  accessLines(): Record<string, unknown>[] {
    return this.lines.filter((l) => l['msg'] === 'request')
  }
}

export interface Harness {
  url: string
  adminUrl: string
  gateway: Gateway
  upstream: Upstream
  vault: VaultStub
  signer: TestSigner
  cache: JwksCache
  metrics: GatewayMetrics
  sink: LogSink
  logger: Logger
  config: Config
  close(): Promise<void>
}

export interface HarnessOptions {
  routes?: (upstreamUrl: string) => RouteConfig[]
  config?: DeepPartial<Config>
  clock?: Clock
  /** Start without waiting for the first JWKS fetch to succeed. */
  allowColdStart?: boolean
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const signer = newSigner('key-1')
  const vault = await new VaultStub([signer]).start()
  const upstream = await new Upstream().start()
  const routes = options.routes?.(upstream.url) ?? [testRoute('payments', upstream.url)]
  const config = testConfig(vault.url, routes, options.config)
  const sink = new LogSink()
  const logger = createRootLogger({ level: 'info', destination: sink })
  const metrics = new GatewayMetrics()
  const remote = new RemoteVault({
    url: config.vault.url!,
    apiKey: config.vault.apiKey,
    timeoutMs: config.vault.timeoutMs,
    connections: config.vault.connections,
    jwksUrl: config.jwks.url,
    jwksTimeoutMs: config.jwks.fetchTimeoutMs,
  })
  const clock = options.clock ?? systemClock
  const cache = new JwksCache({
    fetch: (signal) => remote.fetchJwks(signal),
    config: config.jwks,
    clock,
    onEvent: createJwksObserver(metrics, logger.child({ component: 'jwks' })),
  })
  metrics.setKeyStatusSource(() => cache.status())
  await cache.start()
  const gateway = new Gateway({
    runtime: compileRuntime(config, logger.child({ component: 'gateway' })),
    keys: cache,
    vault: remote,
    replayCacheSize: config.token.replayCacheSize,
    metrics,
    logger: logger.child({ component: 'gateway' }),
    clock,
    maxHeaderCount: config.gateway.maxHeaderCount,
    maxHeaderBytes: config.gateway.maxHeaderBytes,
    limits: config.gateway.limits,
  })
  const address: AddressInfo = await gateway.listen('127.0.0.1', 0)
  const admin = createAdminServer({ metrics, readiness: gateway, logger, limits: config.admin.limits })
  const adminAddress = await listen(admin, '127.0.0.1', 0)
  return {
    url: `http://127.0.0.1:${address.port}`,
    adminUrl: `http://127.0.0.1:${adminAddress.port}`,
    gateway,
    upstream,
    vault,
    signer,
    cache,
    metrics,
    sink,
    logger,
    config,
    async close() {
      await gateway.drain(200)
      await closeServer(admin)
      admin.closeAllConnections()
      cache.close()
      await remote.close()
      await upstream.close()
      await vault.close()
    },
  }
}
