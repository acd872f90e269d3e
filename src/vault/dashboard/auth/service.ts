// The dashboard's users and sessions at run time: the CSRF key (one per store, shared by replicas),
// the one-time setup token (data_dir/setup-token, mode 0600), session resolution with idle and
// absolute timeouts, session creation, the hash limiter and the login throttles.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { dirname, join } from 'node:path'
import type { FastifyBaseLogger } from 'fastify'
import { DEFAULT_DASHBOARD_CONFIG } from '../../../config/index.ts'
import type { VaultDashboardConfig, VaultServerConfig } from '../../../config/types-vault.ts'
import { uuidv7 } from '../../../core/index.ts'
import type { Clock, TenantId } from '../../../core/index.ts'
import type { DashboardSessionRecord, DashboardUserRecord, Store, WriteOp } from '../../../store/index.ts'
import { csrfTokenFor } from './csrf.ts'
import { ACCOUNT_FAILURES, ACCOUNT_WINDOW_MS, IP_ATTEMPTS, IP_WINDOW_MS, SlidingWindowLimit } from './login-limits.ts'
import { DEFAULT_MAX_CONCURRENT_HASHES, DEFAULT_SCRYPT_PARAMS, HashLimiter, hashPassword } from './password.ts'
import type { ScryptParams } from './password.ts'
import { clientIp } from './transport.ts'

/** The tenant whose first admin the setup token creates (src/vault/api-keys.ts DEFAULT_TENANT_ID). */
export const SETUP_TENANT = 'default' as TenantId
export const SETUP_TOKEN_FILE = 'setup-token'
const CSRF_KEY_NAME = 'dashboard_csrf_hmac_key'
/**
 * last_seen is written at most once a minute per session (a durable write per dashboard request
 * would be waste); the idle timeout can therefore end a session up to this much early.
 */
export const TOUCH_EVERY_MS = 60_000
const USER_AGENT_MAX = 256

export interface DashboardAuthOptions {
  /** Default N=2^16, r=8, p=2; tests pass cheap parameters. */
  scrypt?: ScryptParams
  /** Default 2. */
  maxConcurrentHashes?: number
}

export interface ResolvedSession {
  session: DashboardSessionRecord
  user: DashboardUserRecord
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase()
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}$/

export function isEmail(email: string): boolean {
  return email.length <= 320 && EMAIL.test(email)
}

/** The setup token's file; removed once setup is done (by the server or `users create --admin`). */
export function setupTokenPath(dataDir: string): string {
  return join(dataDir, SETUP_TOKEN_FILE)
}

export async function removeSetupToken(dataDir: string): Promise<void> {
  await rm(setupTokenPath(dataDir), { force: true })
}

/** true while the default tenant has neither claimed its first-admin setup nor any user. */
export async function isSetupRequired(store: Store): Promise<boolean> {
  if ((await store.getDashboardBootstrap(SETUP_TENANT)) !== null) return false
  return (await store.listDashboardUsers(SETUP_TENANT)).length === 0
}

export class DashboardAuth {
  readonly store: Store
  readonly clock: Clock
  readonly config: VaultDashboardConfig
  readonly dataDir: string
  readonly scrypt: ScryptParams
  readonly hashes: HashLimiter
  readonly ipLimit: SlidingWindowLimit
  readonly accountLimit: SlidingWindowLimit
  readonly #csrfKey: Buffer
  #setupTokenHash: Buffer | null = null
  #dummyHash: Promise<string> | null = null

  private constructor(store: Store, clock: Clock, config: VaultServerConfig, csrfKey: Buffer, options: DashboardAuthOptions) {
    this.store = store
    this.clock = clock
    this.config = config.dashboard ?? DEFAULT_DASHBOARD_CONFIG
    this.dataDir = config.dataDir
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
    this.hashes = new HashLimiter(options.maxConcurrentHashes ?? DEFAULT_MAX_CONCURRENT_HASHES)
    this.ipLimit = new SlidingWindowLimit(IP_ATTEMPTS, IP_WINDOW_MS, clock)
    this.accountLimit = new SlidingWindowLimit(ACCOUNT_FAILURES, ACCOUNT_WINDOW_MS, clock)
    this.#csrfKey = csrfKey
  }

  /** Loads (or creates, first writer wins) the CSRF key; issues a setup token when no admin exists yet. */
  static async open(store: Store, clock: Clock, config: VaultServerConfig, logger: FastifyBaseLogger | null, options: DashboardAuthOptions = {}): Promise<DashboardAuth> {
    let key = await store.getDashboardSecret(CSRF_KEY_NAME)
    if (key === null) {
      await store.write([{ op: 'dashboard_secret_init', name: CSRF_KEY_NAME, value: randomBytes(32).toString('base64url'), atMs: clock.now() }])
      key = await store.getDashboardSecret(CSRF_KEY_NAME)
      if (key === null) throw new Error('dashboard: the CSRF key could not be stored')
    }
    const auth = new DashboardAuth(store, clock, config, Buffer.from(key, 'base64url'), options)
    if (await isSetupRequired(store)) await auth.#issueSetupToken(logger)
    return auth
  }

  async #issueSetupToken(logger: FastifyBaseLogger | null): Promise<void> {
    const token = randomBytes(24).toString('base64url')
    const path = setupTokenPath(this.dataDir)
    // A Vault on PostgreSQL may never have created its data_dir, or run on a read-only file system
    // (a Kubernetes replica): the token is then only in this log line, never a failed start.
    let written = true
    try {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 })
      await writeFile(path, token + '\n', { mode: 0o600 })
      await chmod(path, 0o600) // an existing file keeps its mode under writeFile
    } catch (err) {
      written = false
      logger?.warn({ component: 'dashboard', setup_token_file: path, err }, 'dashboard setup: could not write the setup token file; use the token from the next log line')
    }
    this.#setupTokenHash = createHash('sha256').update(token).digest()
    logger?.warn(
      { component: 'dashboard', setup_token_file: written ? path : null },
      `dashboard setup: no admin user yet. Open /ui/ and enter the one-time setup token ${token}${written ? ` (also in ${path}, mode 0600)` : ''}, or run "ledgix-gateway users create --admin"`,
    )
  }

  /** Constant-time check of a presented setup token; false once setup is done or when none was issued. */
  checkSetupToken(presented: string): boolean {
    if (this.#setupTokenHash === null) return false
    return timingSafeEqual(createHash('sha256').update(presented).digest(), this.#setupTokenHash)
  }

  async setupDone(): Promise<void> {
    this.#setupTokenHash = null
    await removeSetupToken(this.dataDir)
  }

  csrfToken(sessionId: string): string {
    return csrfTokenFor(this.#csrfKey, sessionId)
  }

  get csrfKey(): Buffer {
    return this.#csrfKey
  }

  /** A hash of a random password with the current parameters: unknown users cost one KDF run too. */
  dummyHash(): Promise<string> {
    this.#dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.scrypt)
    return this.#dummyHash
  }

  /** The live session and its enabled user for a cookie token, or null (unknown, revoked, idle, too old). */
  async resolve(token: string): Promise<ResolvedSession | null> {
    const session = await this.store.findDashboardSessionByHash(sha256Hex(token))
    if (session === null || session.revokedAtMs !== null) return null
    const nowMs = this.clock.now()
    if (!this.isLive(session)) {
      await this.store.write([{ op: 'dashboard_session_delete', sessionId: session.sessionId }]).catch(() => undefined)
      return null
    }
    const user = await this.store.getDashboardUser(session.tenantId, session.userId)
    if (user === null || user.disabledAtMs !== null) return null
    if (nowMs - session.lastSeenAtMs >= TOUCH_EVERY_MS) {
      // Best effort: an overloaded store refuses the touch, and the session merely looks older.
      await this.store.write([{ op: 'dashboard_session_touch', sessionId: session.sessionId, atMs: nowMs }]).catch(() => undefined)
    }
    return { session, user }
  }

  /** Neither idle nor past its absolute lifetime (revocation is checked separately). */
  isLive(session: DashboardSessionRecord): boolean {
    const nowMs = this.clock.now()
    return nowMs - session.lastSeenAtMs < this.config.sessionIdleMs && nowMs - session.createdAtMs < this.config.sessionAbsoluteMs
  }

  /** A new session for `user`: the token (cookie value, shown once) and the op that stores its hash. */
  newSession(user: DashboardUserRecord, req: IncomingMessage): { token: string; session: DashboardSessionRecord; op: WriteOp } {
    const token = randomBytes(32).toString('base64url')
    const nowMs = this.clock.now()
    const ua = req.headers['user-agent']
    const session: DashboardSessionRecord = {
      sessionId: uuidv7(nowMs),
      tokenHash: sha256Hex(token),
      tenantId: user.tenantId,
      userId: user.userId,
      createdAtMs: nowMs,
      lastSeenAtMs: nowMs,
      ip: clientIp(req, this.config),
      userAgent: typeof ua === 'string' ? ua.slice(0, USER_AGENT_MAX) : '',
      revokedAtMs: null,
    }
    return { token, session, op: { op: 'dashboard_session_insert', session } }
  }

  /** Ends the rows of sessions that can no longer be used (run with each login, so the table stays small). */
  pruneOp(): WriteOp {
    const nowMs = this.clock.now()
    return { op: 'dashboard_sessions_prune', idleBeforeMs: nowMs - this.config.sessionIdleMs, createdBeforeMs: nowMs - this.config.sessionAbsoluteMs }
  }

  get cookieMaxAgeSeconds(): number {
    return Math.floor(this.config.sessionAbsoluteMs / 1000)
  }
}
