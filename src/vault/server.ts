// The embedded Vault API (fastify 5): composes store, key ring, policies, judge and ledger sink into
// the customer routes (X-Vault-API-Key), the public routes and /admin. The lead starts it from
// src/cli/serve.ts in vault-only and all-in-one modes.
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import Fastify, { LogController } from 'fastify'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerFactoryHandler } from 'fastify'
import { VAULT_LISTENER_DEFAULTS, defaultListenerLimits } from '../config/index.ts'
import type { ListenerLimits } from '../config/index.ts'
import type { VaultLedgerConfig, VaultServerConfig } from '../config/types-vault.ts'
import { IDENTIFIER_MAX_ENCODED_LENGTH, LedgixError, systemClock } from '../core/index.ts'
import { DriftMonitor } from '../drift/index.ts'
import { ReportScheduler } from '../reports/index.ts'
import type { Clock, VaultPort } from '../core/index.ts'
import { DEFAULT_MMD_SECONDS, DEFAULT_SEAL_BATCH_SIZE, DEFAULT_SEAL_INTERVAL_MS, LedgerService, parseEncryptionKey } from '../ledger/index.ts'
import { DEFAULT_NOTIFY_CONFIG, NotifyService } from '../notify/index.ts'
import { ListenerStats, countClientError, guardListener } from '../observability/index.ts'
import { openVaultStore } from './open-store.ts'
import { DEFAULT_VAULT_INFLIGHT_BODY_BYTES, DEFAULT_VAULT_INFLIGHT_BODY_PER_OWNER_BYTES, VaultBodyBudget, admitBody } from './body-budget.ts'
import type { SealerLeadership, Store } from '../store/index.ts'
import { seedBootstrapKey } from './api-keys.ts'
import { authenticateAdmin, authenticateApiKey } from './auth.ts'
import { recoverInterrupted } from './clearance.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { FastPath } from './fast-path.ts'
import { EMPTY_BODY_DETAIL, handleClientError, handleFrameworkError, handleNotFound, handleVaultError, sendProblem } from './http-errors.ts'
import { IdempotencyGate } from './idempotency.ts'
import { createDriftSink } from './drift-ledger.ts'
import { createReportService } from './report-glue.ts'
import { createInProcessVaultPort } from './in-process-port.ts'
import { bodyFramingProblem, parseJsonBody, type JsonBodyParser } from './json-body.ts'
import { KEY_RING_POLL_MS, KeyRing } from './key-ring.ts'
import { ChannelSource } from './live-event-sources.ts'
import type { LiveEventSource } from './live-event-sources.ts'
import { LiveEventHub } from './live-events.ts'
import type { LiveEventLimits } from './live-events.ts'
import { createStoreLedgerSink, ledgerSignerOf, type LedgerSink } from './ledger-sink.ts'
import { PolicyRegistry } from './policies.ts'
import { createOpenAiJudge, formatLoadProblem, loadPoliciesDir } from './policy/index.ts'
import type { CompiledPolicy, Judge } from './policy/index.ts'
import { RateLimiter } from './rate-limit.ts'
import { RouteMethods } from './route-methods.ts'
import { ReviewSweeper } from './reviews.ts'
import { lazyValidatorCompiler } from './route-validator.ts'
import { registerAdminRoutes } from './routes/admin.ts'
import { registerClearanceRoutes } from './routes/clearance.ts'
import { registerDashboardRoutes } from './dashboard/serve.ts'
import { registerConsumeRoute } from './routes/consume.ts'
import { registerDriftRoutes } from './routes/drift.ts'
import { registerEventStreamRoute } from './routes/events-stream.ts'
import { registerLedgerRoutes } from './routes/ledger.ts'
import { registerNotificationRoutes } from './routes/notifications.ts'
import { registerPolicyRoute } from './routes/policy.ts'
import { registerPublicRoutes } from './routes/public.ts'
import { registerReportRoutes } from './routes/reports.ts'
import { registerSharedReportRoutes } from './routes/reports-shared.ts'
import { registerReviewRoutes } from './routes/reviews.ts'
import { registerSettingsRoutes } from './routes/settings.ts'
import { registerSlackRoutes } from './routes/slack.ts'
import { DashboardAuth, registerDashboardAuthRoutes, registerUserRoutes } from './dashboard/auth/index.ts'
import type { DashboardAuthOptions } from './dashboard/auth/index.ts'
import { registerDashboardApiKeyRoutes } from './routes/dashboard-api-keys.ts'
import { registerDashboardOverviewRoute } from './routes/dashboard-overview.ts'
import { registerDashboardPolicyRoutes } from './routes/dashboard-policies.ts'
import { registerDashboardReviewRoutes } from './routes/dashboard-reviews.ts'

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null
  }
  interface FastifyContextConfig {
    /** DELETE and lockdown POSTs may arrive with Content-Type: application/json and no body. */
    allowEmptyBody?: boolean
    /** A POST that changes nothing (a dry run, a validation): viewers may call it and it needs no CSRF token. */
    readOnly?: boolean
  }
}

export interface VaultServerOptions {
  config: VaultServerConfig
  clock?: Clock
  /** A pino logger (the root logger's child); default silent. */
  logger?: FastifyBaseLogger
  /** Default: SQLite at `{dataDir}/vault.db`, closed by close(). A given store is not closed. */
  store?: Store
  /** Default: an OpenAI-compatible judge from config.judge, or none. */
  judge?: Judge | null
  /** Default: the ledger service's sink (hashed, receipted rows, same transaction as the decision). */
  ledger?: LedgerSink
  /** Policies in addition to config.policiesDir, for every tenant. */
  policies?: readonly CompiledPolicy[]
  /** The notification worker's jitter source (tests pin it); default Math.random. */
  notifyRandom?: () => number
  /** Printed in compliance reports (the CLI passes its version); default 'unknown'. */
  version?: string
  /** Dashboard password hashing (tests pass cheap scrypt parameters); default N=2^16, r=8, p=2, 2 at once. */
  dashboardAuth?: DashboardAuthOptions
  /** How often the report scheduler looks for completed periods (tests shorten it); default 60 s. */
  reportScheduleTickMs?: number
  /** How often the drift worker re-evaluates idle agents (tests shorten it); default 5 min. */
  driftIdleEvalMs?: number
  /**
   * GET /events/stream: limits (tests shorten the heartbeat) and the event source. Default source:
   * in-process for SQLite, LISTEN/NOTIFY for PostgreSQL (replicas see each other's events).
   */
  liveEvents?: { limits?: Partial<LiveEventLimits>; source?: LiveEventSource }
}

export interface VaultServer {
  app: FastifyInstance
  context: VaultContext
  /** Review expiry; its stats (failures, set-aside records) are exported on /metrics. */
  reviewSweeper: ReviewSweeper
  /** The in-process VaultPort for all-in-one mode (same semantics as /consume-token). */
  vaultPort: VaultPort
  /** Open, refused and timed-out connections of the Vault API listener (/metrics, listener="vault"). */
  listenerStats: ListenerStats
  /** Scheduled compliance reports (report settings `schedule`). */
  reportScheduler: ReportScheduler
  /** Listen on config.listen (port 0 = ephemeral); resolves to the bound port. */
  listen(): Promise<number>
  /** Stop accepting, let background decisions finish, close the store if we opened it. */
  close(): Promise<void>
}

async function loadDirPolicies(dir: string | null): Promise<CompiledPolicy[]> {
  if (dir === null) return []
  const loaded = await loadPoliciesDir(dir)
  if (!loaded.ok) throw new Error(`vault_server.policies_dir: ${loaded.errors.map(formatLoadProblem).join('; ')}`)
  return loaded.policies
}

/** Hand-built configs (tests, embedding) may leave `ledger` out: these are the loader's defaults. */
const DEFAULT_LEDGER: VaultLedgerConfig = {
  sealBatchSize: DEFAULT_SEAL_BATCH_SIZE,
  sealIntervalMs: DEFAULT_SEAL_INTERVAL_MS,
  mmdSeconds: DEFAULT_MMD_SECONDS,
  encryptionKey: null,
}

/** How long a replica may serve a tenant's cached policy set before re-reading its version ids (the ≤ 1 s bound). */
export const POLICY_MAX_STALE_MS = 500
/** The key ring's generation poll on a store shared by replicas. */
export const REPLICA_KEY_RING_POLL_MS = 500

function createLedgerService(
  config: VaultServerConfig,
  store: Store,
  keyRing: KeyRing,
  clock: Clock,
  logger: FastifyBaseLogger | undefined,
  leadership: SealerLeadership | null,
  notify: NotifyService | null = null,
): LedgerService {
  const ledger = config.ledger ?? DEFAULT_LEDGER
  const encryptionKey = ledger.encryptionKey === null ? null : parseEncryptionKey(ledger.encryptionKey)
  if (ledger.encryptionKey !== null && encryptionKey === null) {
    throw new Error('vault_server.ledger.encryption_key: expected 32 bytes as 64 hex characters or base64url')
  }
  return new LedgerService({
    store,
    clock,
    signer: ledgerSignerOf(keyRing),
    sealBatchSize: ledger.sealBatchSize,
    sealIntervalMs: ledger.sealIntervalMs,
    mmdSeconds: ledger.mmdSeconds,
    encryptionKey,
    onError: (err) => logger?.error({ err, component: 'ledger-sealer' }, 'ledger seal failed; retrying at the next interval'),
    ...(leadership === null ? {} : { leader: () => leadership.isLeader }),
    // A break under the tree the sealer would extend: nothing is sealed for the tenant (fail closed)
    // until it is repaired; reported once per distinct break, as ledger.verification_failed (check "sealer").
    onBreak: (tenantId, detail, identity) => {
      logger?.error({ component: 'ledger-sealer', tenant_id: tenantId, break: identity, detail }, 'ledger break found by the sealer: sealing stopped for this tenant until it is repaired; run "ledger verify"')
      notify?.notifier
        .notifyLedgerFailure(tenantId, 'sealer', detail, clock.now(), identity)
        .catch((err: unknown) => logger?.error({ err, component: 'ledger-sealer' }, 'could not record the ledger.verification_failed notification'))
    },
  })
}

function createNotifyService(
  config: VaultServerConfig,
  store: Store,
  clock: Clock,
  logger: FastifyBaseLogger | undefined,
  random: (() => number) | undefined,
): NotifyService {
  const key = config.ledger?.encryptionKey ?? null
  return new NotifyService({
    store,
    clock,
    config: config.notifications ?? DEFAULT_NOTIFY_CONFIG,
    encryptionKey: key === null ? null : parseEncryptionKey(key),
    ...(random === undefined ? {} : { random }),
    onError: (err) => logger?.error({ err, component: 'notify' }, 'notification delivery step failed; the row stays in the outbox'),
    onResult: (row, result, _ms, settled) => {
      if (settled === 'dead') logger?.error({ component: 'notify', delivery_id: row.deliveryId, channel: row.channelId, reason: result.error }, 'notification dead-lettered')
    },
  })
}

function createLiveEventHub(store: Store, clock: Clock, options: VaultServerOptions): LiveEventHub {
  const given = options.liveEvents?.source
  const source = given ?? (store.openLiveEventChannel === undefined ? undefined : new ChannelSource(store.openLiveEventChannel()))
  return new LiveEventHub({ clock, ...(source === undefined ? {} : { source }), ...(options.liveEvents?.limits === undefined ? {} : { limits: options.liveEvents.limits }) })
}

export async function createVaultServer(options: VaultServerOptions): Promise<VaultServer> {
  const config = options.config
  const clock = options.clock ?? systemClock
  const ownsStore = options.store === undefined
  const store =
    options.store ??
    (await openVaultStore(config, (err) =>
      options.logger?.fatal({ err, component: 'store' }, 'the store can no longer make writes durable: every write is refused and /readyz reports store_failed; check the disk, then restart'),
    ))
  try {
    // Replicas share the store, not a data_dir: their private signing keys live in the store too.
    const wrap = config.ledger?.encryptionKey ?? null
    const wrapKey = wrap === null ? null : parseEncryptionKey(wrap)
    if (wrap !== null && wrapKey === null) throw new Error('vault_server.ledger.encryption_key: expected 32 bytes as 64 hex characters or base64url')
    const keysInStore = store.driver === 'postgres' ? { keysInStore: { wrapKey } } : {}
    const keyRing = await KeyRing.open({ store, keysDir: join(config.dataDir, 'keys'), clock, envKey: config.signingKey, createIfMissing: true, ...keysInStore })
    const fromDir = [...(await loadDirPolicies(config.policiesDir)), ...(options.policies ?? [])]
    const judge =
      options.judge !== undefined
        ? options.judge
        : config.judge === null
          ? null
          : createOpenAiJudge({ url: config.judge.url, model: config.judge.model, apiKey: config.judge.apiKey, timeoutMs: config.judge.timeoutMs })
    // Replicas on one PostgreSQL elect one sealer (advisory lock); SQLite has one writer process.
    const leadership = store.sealerLeadership?.() ?? null
    const notify = createNotifyService(config, store, clock, options.logger, options.notifyRandom)
    const ledgerService = createLedgerService(config, store, keyRing, clock, options.logger, leadership, notify)
    const ledger = options.ledger ?? createStoreLedgerSink(ledgerService)
    const live = createLiveEventHub(store, clock, options)
    const base: Omit<VaultContext, 'reports'> = {
      store,
      keyRing,
      clock,
      config,
      ledger,
      ledgerService,
      // Replicas register policies in a shared store: a cached set is re-checked after POLICY_MAX_STALE_MS.
      policies: new PolicyRegistry(store, fromDir, { maxStaleMs: store.driver === 'postgres' ? POLICY_MAX_STALE_MS : null }),
      limiter: config.rateLimit === null ? null : new RateLimiter(config.rateLimit),
      judge,
      background: new Set(),
      drift: new DriftMonitor({
        store,
        clock,
        // An automatic lockdown notifies like a manual one: its outbox rows commit with the lock.
        sink: createDriftSink(ledger, notify?.notifier ?? null, live),
        onError: (err) => options.logger?.error({ err, component: 'drift' }, 'drift worker failed a step; it continues with the next observations'),
        ...(options.driftIdleEvalMs === undefined ? {} : { idleEvalMs: options.driftIdleEvalMs }),
      }),
      notify,
      live,
      bodies: new VaultBodyBudget(
        config.maxInflightBodyBytes ?? Math.max(DEFAULT_VAULT_INFLIGHT_BODY_BYTES, config.maxBodyBytes),
        config.maxInflightBodyPerTenantBytes ?? Math.max(DEFAULT_VAULT_INFLIGHT_BODY_PER_OWNER_BYTES, config.maxBodyBytes),
        config.maxBodyBytes,
      ),
    }
    const ctx: VaultContext = {
      ...base,
      reports: createReportService(base, options.version ?? 'unknown', options.logger),
      dashboardAuth: await DashboardAuth.open(store, clock, config, options.logger ?? null, options.dashboardAuth),
    }
    await seedBootstrapKey(store, config.bootstrapApiKey, clock.now())
    await recoverInterrupted(ctx)
    await live.start()
    const listenerStats = new ListenerStats()
    const app = buildApp(ctx, options.logger, { limits: config.limits ?? defaultListenerLimits(VAULT_LISTENER_DEFAULTS), stats: listenerStats })
    const fastPath = app.vaultFastPath
    await app.ready()
    // The sealer lives inside the server's lifecycle: started here (sealing whatever a previous run
    // left unsealed), stopped in close() after the last decision and before the store closes.
    if (leadership !== null) await leadership.start()
    await store.startChangeFeed?.()
    await ledgerService.start()
    const reviewSweeper = new ReviewSweeper(ctx, options.logger ?? null)
    await ctx.drift.start()
    ctx.notify?.start()
    await ctx.reports.start()
    const reportScheduler = new ReportScheduler({
      store,
      clock,
      reports: ctx.reports,
      ...(options.reportScheduleTickMs === undefined ? {} : { tickMs: options.reportScheduleTickMs }),
      onError: (err) => options.logger?.error({ err, component: 'report-schedule' }, 'report schedule pass failed; retrying at the next tick'),
    })
    reportScheduler.start()
    let sweeper: NodeJS.Timeout | null = null
    if (config.reviewExpiryMs !== null) {
      // A quarter of the expiry, within [1 s, 30 s]: expiry is a policy about hours, not milliseconds.
      const everyMs = Math.min(30_000, Math.max(1_000, Math.floor(config.reviewExpiryMs / 4)))
      sweeper = setInterval(sweepExpiredReviews, everyMs, reviewSweeper, ctx, options.logger ?? null)
      sweeper.unref()
    }
    // The key ring follows writes by other processes (the CLI on this data dir) within KEY_RING_POLL_MS.
    // Replicas (PostgreSQL) poll twice as often, so a rotation or revocation on one replica reaches
    // every other replica's JWKS, verification and signer within 1 s (docs/design/store.md).
    const ringPoll = setInterval(pollKeyRing, store.driver === 'postgres' ? REPLICA_KEY_RING_POLL_MS : KEY_RING_POLL_MS, ctx)
    ringPoll.unref()
    return {
      app,
      context: ctx,
      reviewSweeper,
      vaultPort: createInProcessVaultPort(ctx),
      listenerStats,
      reportScheduler,
      async listen() {
        await app.listen({ host: config.listen.host, port: config.listen.port })
        const address = app.server.address()
        return typeof address === 'object' && address !== null ? address.port : config.listen.port
      },
      async close() {
        if (sweeper !== null) clearInterval(sweeper)
        clearInterval(ringPoll)
        fastPath.closing = true
        await app.close()
        await Promise.allSettled([...ctx.background])
        // Drift folds what is queued and writes its states (and events) before the ledger and store stop.
        await ctx.drift.stop()
        await ctx.notify?.stop()
        await reportScheduler.stop()
        await ctx.reports.stop()
        await live.close()
        await ledgerService.stop()
        // The lead passes on now rather than when the store's connections close.
        await leadership?.stop()
        if (ownsStore) await store.close()
      },
    }
  } catch (err) {
    if (ownsStore) await store.close()
    throw err
  }
}

function pollKeyRing(ctx: VaultContext): void {
  // A failed reload keeps the ring it had (reload swaps only when complete); the next poll retries.
  ctx.keyRing.refreshIfChanged().catch(() => undefined)
}

/** One sweeper pass; a failed read of the queue is logged (each record's failure is, by the sweeper). */
function sweepExpiredReviews(sweeper: ReviewSweeper, ctx: VaultContext, logger: FastifyBaseLogger | null): void {
  sweeper.sweep(ctx.clock.now()).catch((err: unknown) => logger?.error({ err, component: 'review-sweeper' }, 'review expiry pass failed; retrying at the next pass'))
}

/** No route declares a response schema; one added later must come with a serializer decision. */
function noResponseSchemas(): never {
  throw new Error('Vault routes have no response schemas: serialisation is JSON.stringify')
}

interface VaultListenerGuard {
  limits: ListenerLimits
  stats: ListenerStats
}

/**
 * fastify's own HTTP/1 server set-up (lib/server.js), with the fast path ahead of its handler and
 * vault_server's timeouts and connection caps (listener-guard.ts) instead of fastify's
 * connectionTimeout / keepAliveTimeout / requestTimeout options: one mechanism for every listener.
 */
function vaultServerFactory(fastPath: FastPath, guard: VaultListenerGuard): (handler: FastifyServerFactoryHandler, opts: Record<string, unknown>) => Server {
  return function createVaultHttpServer(handler, opts) {
    const server = createServer((opts.http ?? {}) as ServerOptions, function onVaultRequest(req: IncomingMessage, res: ServerResponse) {
      if (!fastPath.handle(req, res)) handler(req, res)
    })
    if ((opts.maxRequestsPerSocket as number) > 0) server.maxRequestsPerSocket = opts.maxRequestsPerSocket as number
    // fastify adds its own 'clientError' listener (vaultClientError below), so the guard adds none.
    guardListener(server, { limits: guard.limits, stats: guard.stats }, false)
    return server
  }
}

/** The Vault's parser refusals (handleClientError: its problem shape), counted for /metrics first. */
function vaultClientError(this: FastifyInstance, err: Error, socket: Duplex): void {
  countClientError(this.server, err as NodeJS.ErrnoException)
  handleClientError(err, socket)
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The fast path in front of this app's routes (server.ts); close() turns it off first. */
    vaultFastPath: FastPath
    /** Every customer route (method, URL pattern) as registered: tests walk it (e.g. the viewer rule). */
    vaultCustomerRoutes: Array<{ method: string; url: string }>
  }
}

function buildApp(ctx: VaultContext, logger: FastifyBaseLogger | undefined, guard: VaultListenerGuard): FastifyInstance {
  const gate = new IdempotencyGate(ctx.store)
  const bodies = ctx.bodies
  const fastPath = new FastPath(ctx, gate, logger ?? null, bodies)
  const app = Fastify({
    ...(logger === undefined ? { logger: false } : { loggerInstance: logger }),
    bodyLimit: ctx.config.maxBodyBytes,
    genReqId: () => randomUUID(),
    // One access line per request, written at the end (STYLE.md §8), instead of fastify's two
    // ("incoming request" + "request completed"): at /consume-token rates the second line was
    // measurable (bench/README.md "What limits us").
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Spec §1: a trailing slash in the client's vaultUrl produces `//request-clearance`. Any
    // identifier (src/core/identifier.ts), even fully percent-encoded, fits one path parameter, so
    // the router never refuses a valid one; a longer one is a 400 problem (handleFrameworkError).
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: IDENTIFIER_MAX_ENCODED_LENGTH },
    // Router-level failures (bad percent-encoding, an over-long parameter) as problem+json too.
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: vaultClientError,
    serverFactory: vaultServerFactory(fastPath, guard),
    // Our compilers: fastify then never loads @fastify/ajv-compiler or fast-json-stringify at boot.
    // No coercion: a number where a string belongs is a 400 naming the field.
    // (fastify types buildValidator after @fastify/ajv-compiler's pool; any compiler function is accepted.)
    schemaController: { compilersFactory: { buildValidator: (() => lazyValidatorCompiler) as never, buildSerializer: () => noResponseSchemas } },
  }) as unknown as FastifyInstance
  app.decorate('vaultFastPath', fastPath)
  const customerRoutes: Array<{ method: string; url: string }> = []
  app.decorate('vaultCustomerRoutes', customerRoutes)
  // Open event streams never end by themselves: end them first, so closing the server does not wait on them.
  app.addHook('preClose', async () => ctx.live.close())
  app.decorateRequest('auth', null)
  // Before any route's auth or validation: %00 is the only way a URL carries U+0000, which no Vault
  // id or filter holds and PostgreSQL text cannot store (json-body.ts refuses it in bodies too).
  app.addHook('onRequest', refuseNulInUrl)
  // After every onRequest hook (authentication), before a byte of the body is read: every route
  // that takes a body, authenticated or not, holds it within the in-flight body bounds.
  app.addHook('preParsing', function admitVaultBody(request, reply, payload, done) {
    const refusal = admitBody(bodies, request.raw, reply.raw, request.auth?.tenantId ?? null, request.ip)
    if (refusal === null) done(null, payload)
    else {
      // The body stays unread: the connection cannot carry another request after the answer.
      reply.header('connection', 'close')
      done(refusal)
    }
  })
  if (logger !== undefined) app.addHook('onResponse', logVaultRequest)
  const defaultJson = app.getDefaultJsonParser('error', 'error') as unknown as JsonBodyParser
  fastPath.parseJson = defaultJson
  // JSON only: any other media type is a 415 (fastify would otherwise parse text/plain). Read as
  // bytes, not as a string: fastify's string decoding turns invalid UTF-8 into U+FFFD silently.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, function parseJson(request: FastifyRequest, body: string | Buffer, done) {
    if (body.length === 0) {
      if (request.method === 'DELETE' || request.routeOptions.config.allowEmptyBody === true) done(null, undefined)
      else done(new LedgixError('invalid_json', EMPTY_BODY_DETAIL))
      return
    }
    const framing = bodyFramingProblem(request.raw)
    if (framing !== null) {
      done(new LedgixError('unsupported_media_type', framing))
      return
    }
    const parsed = parseJsonBody(body as Buffer, defaultJson)
    if (parsed.ok) done(null, parsed.value)
    else done(new LedgixError(parsed.code, parsed.detail))
  })
  app.setErrorHandler(handleVaultError)
  // Every route's methods, for 405 + Allow on a known path (route-methods.ts); root hooks see the plugins' routes too.
  const routeMethods = new RouteMethods()
  app.addHook('onRoute', (route) => routeMethods.add(route.method, route.url))
  app.setNotFoundHandler(handleNotFound.bind(null, routeMethods))
  registerPublicRoutes(app, ctx)
  registerSlackRoutes(app, ctx)
  registerSharedReportRoutes(app, ctx)
  registerDashboardRoutes(app, ctx)
  registerDashboardAuthRoutes(app, ctx)
  void app.register(async (scope) => {
    scope.addHook('onRequest', authenticateApiKey.bind(null, ctx))
    scope.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) customerRoutes.push({ method, url: route.url })
    })
    registerClearanceRoutes(scope, ctx, gate)
    registerConsumeRoute(scope, ctx)
    registerPolicyRoute(scope, ctx, gate)
    registerReviewRoutes(scope, ctx)
    registerSettingsRoutes(scope, ctx)
    registerDriftRoutes(scope, ctx)
    registerLedgerRoutes(scope, ctx)
    registerNotificationRoutes(scope, ctx)
    registerReportRoutes(scope, ctx, gate)
    registerUserRoutes(scope, ctx)
    registerDashboardOverviewRoute(scope, ctx)
    registerDashboardReviewRoutes(scope, ctx)
    registerDashboardApiKeyRoutes(scope, ctx)
    registerDashboardPolicyRoutes(scope, ctx)
    registerEventStreamRoute(scope, ctx)
  })
  void app.register(
    async (scope) => {
      scope.addHook('onRequest', authenticateAdmin.bind(null, ctx))
      registerAdminRoutes(scope, ctx)
    },
    { prefix: '/admin' },
  )
  return app
}

async function refuseNulInUrl(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const at = request.url.indexOf('%00')
  if (at >= 0) {
    const query = request.url.indexOf('?')
    sendProblem(reply, 'invalid_request', `${query >= 0 && query < at ? 'query' : 'path'}: U+0000 (%00) is not allowed in a Vault URL`)
    return reply as never
  }
}

/** The access line: method, route pattern (never the raw URL with its query), status, duration. */
async function logVaultRequest(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  request.log.info(
    { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode, duration_ms: Math.round(reply.elapsedTime * 1000) / 1000 },
    'vault request',
  )
}

/** create + listen: what serve.ts calls in vault-only mode. */
export async function startVaultServer(options: VaultServerOptions): Promise<VaultServer & { port: number }> {
  const server = await createVaultServer(options)
  try {
    const port = await server.listen()
    return { ...server, port }
  } catch (err) {
    await server.close()
    throw err
  }
}
