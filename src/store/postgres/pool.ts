// The pg Pool of the PostgreSQL store: bounded in size, in how long a caller waits for a connection
// (an exhausted pool answers within connect_timeout, never hangs), in how long one statement may run,
// and in how long an idle connection is kept. BIGINT columns hold ms timestamps and sequence numbers
// (all below 2^53), so this pool — only this pool, not pg's global parsers — reads them as numbers.
// Start-up errors are translated into one sentence an operator can act on.
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import pg from 'pg'
import { LedgixError } from '../../core/index.ts'

export interface PgPoolOptions {
  /** postgres://user:password@host:port/database (libpq URL; `?sslmode=` etc. pass through). */
  url: string
  /** Schema for every table (search_path); created by the migration when missing. Default: public. */
  schema?: string
  max?: number
  statementTimeoutMs?: number
  idleTimeoutMs?: number
  connectTimeoutMs?: number
  /** `vault_server.store.tls`: TLS required, with these files and checks. */
  tls?: PgTlsOptions
}

/** Paths are read when the pool is created; a file that cannot be read names its config path. */
export interface PgTlsOptions {
  caFile: string | null
  certFile: string | null
  keyFile: string | null
  rejectUnauthorized: boolean
  servername: string | null
}

/** URL parameters through which pg's connection-string parser configures TLS (and would override `tls`). */
const URL_TLS_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'sslnegotiation', 'uselibpqcompat']

function readTlsFile(path: string, key: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : (e.message ?? String(err))
    throw new StoreOpenError(`vault_server.store.tls.${key}: cannot read ${path}: ${why}`, { cause: err })
  }
}

/** The `ssl` option of pg (node:tls connect options) for `vault_server.store.tls`; throws StoreOpenError. */
export function pgTlsConfig(tls: PgTlsOptions, url: string): ConnectionOptions {
  let u: URL | null = null
  try {
    u = new URL(url)
  } catch {
    // checkedUrl reports it
  }
  const inUrl = u === null ? [] : URL_TLS_PARAMS.filter((p) => u!.searchParams.has(p))
  if (inUrl.length > 0) {
    throw new StoreOpenError(
      `vault_server.store.tls is set and vault_server.store.url also configures TLS (${inUrl.map((p) => `?${p}=`).join(', ')}): keep one of them`,
    )
  }
  if ((tls.certFile === null) !== (tls.keyFile === null)) {
    throw new StoreOpenError('vault_server.store.tls: client certificate authentication needs both cert_file and key_file')
  }
  const out: ConnectionOptions = { rejectUnauthorized: tls.rejectUnauthorized }
  if (tls.caFile !== null) out.ca = readTlsFile(tls.caFile, 'ca_file')
  if (tls.certFile !== null) out.cert = readTlsFile(tls.certFile, 'cert_file')
  if (tls.keyFile !== null) out.key = readTlsFile(tls.keyFile, 'key_file')
  if (tls.servername !== null) out.servername = tls.servername
  return out
}

export const PG_POOL_DEFAULTS = { max: 10, statementTimeoutMs: 30_000, idleTimeoutMs: 30_000, connectTimeoutMs: 5_000 } as const

/** A schema name we put in SQL text ourselves: a plain identifier, no quoting games. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/

const INT8_OID = 20
function parseInt8(text: string): number {
  return Number(text)
}
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
    if (oid === INT8_OID && format !== 'binary') return parseInt8
    return pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown
  },
}

/** Raised for a store that cannot be opened; the message names the cause and never the password. */
export class StoreOpenError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'StoreOpenError'
  }
}

/** The URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password !== '') u.password = '***'
    return u.toString()
  } catch {
    return '(unparseable URL)'
  }
}

function checkedUrl(url: string): URL {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    throw new StoreOpenError('vault_server.store.url is not a URL: expected postgres://user:password@host:5432/database')
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new StoreOpenError(`vault_server.store.url must start with postgres:// or postgresql:// (got ${u.protocol}//)`)
  }
  if (u.pathname === '' || u.pathname === '/') {
    throw new StoreOpenError(`vault_server.store.url names no database (${redactUrl(url)}): add /<database> after the host`)
  }
  return u
}

export function checkedSchema(schema: string | undefined): string {
  const s = schema ?? 'public'
  if (!SCHEMA_NAME.test(s)) throw new StoreOpenError(`vault_server.store.schema "${s}" must match ${SCHEMA_NAME.source}`)
  return s
}

export function createPgPool(options: PgPoolOptions): pg.Pool {
  checkedUrl(options.url)
  const schema = checkedSchema(options.schema)
  const ssl = options.tls === undefined ? undefined : pgTlsConfig(options.tls, options.url)
  const pool = new pg.Pool({
    ...(ssl === undefined ? {} : { ssl }),
    connectionString: options.url,
    max: options.max ?? PG_POOL_DEFAULTS.max,
    idleTimeoutMillis: options.idleTimeoutMs ?? PG_POOL_DEFAULTS.idleTimeoutMs,
    connectionTimeoutMillis: options.connectTimeoutMs ?? PG_POOL_DEFAULTS.connectTimeoutMs,
    statement_timeout: options.statementTimeoutMs ?? PG_POOL_DEFAULTS.statementTimeoutMs,
    options: `-c search_path=${schema}`,
    application_name: 'ledgix-gateway',
    types: TYPES,
  })
  // An idle client losing its server (restart, failover) must not crash the process: the pool drops
  // it and the next checkout connects again.
  pool.on('error', () => undefined)
  // A checked-out client whose server session ends between two statements (pg_terminate_backend,
  // a restart, a failover) emits 'error' with no pool listener attached: unhandled, that would kill
  // the process. Its pending and next queries reject instead (→ 503 vault_unavailable), and the
  // holder discards it, so the event itself needs nobody.
  pool.on('connect', (client) => {
    client.on('error', () => undefined)
  })
  return pool
}

/** Translate a failure to connect into what the operator should check. */
export function describeConnectError(err: unknown, url: string): StoreOpenError {
  const e = err as { code?: string; message?: string }
  const where = redactUrl(url)
  let u: URL | null = null
  try {
    u = new URL(url)
  } catch {
    // checkedUrl ran first; keep the generic text
  }
  const user = u === null ? '?' : decodeURIComponent(u.username) || '(default user)'
  const db = u === null ? '?' : decodeURIComponent(u.pathname.slice(1))
  const host = u === null ? '?' : `${u.hostname}:${u.port || '5432'}`
  switch (e.code) {
    case 'ECONNREFUSED':
      return new StoreOpenError(`cannot reach PostgreSQL at ${host}: connection refused (is it running and listening there?)`, { cause: err })
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new StoreOpenError(`cannot resolve the PostgreSQL host in ${where}`, { cause: err })
    case '28P01':
    case '28000':
      return new StoreOpenError(`PostgreSQL at ${host} refused user "${user}": wrong password or not allowed (${e.message ?? ''})`, { cause: err })
    case '3D000':
      return new StoreOpenError(`PostgreSQL database "${db}" does not exist at ${host}: create it or fix vault_server.store.url`, { cause: err })
    default:
      if (/does not support SSL/i.test(e.message ?? '')) {
        return new StoreOpenError(`PostgreSQL at ${host} does not accept TLS connections: enable ssl on the server or remove vault_server.store.tls`, { cause: err })
      }
      if (/CERT|certificate|SSL|TLS|altname|self.signed/i.test(`${e.code ?? ''} ${e.message ?? ''}`)) {
        return new StoreOpenError(
          `TLS to PostgreSQL at ${host} failed: ${e.message ?? e.code} (check vault_server.store.tls: ca_file, servername, cert_file/key_file)`,
          { cause: err },
        )
      }
      if (/timeout/i.test(e.message ?? '')) {
        return new StoreOpenError(`PostgreSQL at ${host} did not answer within the connect timeout`, { cause: err })
      }
      return new StoreOpenError(`cannot open the PostgreSQL store at ${where}: ${e.message ?? String(err)}`, { cause: err })
  }
}

/** What the read classes need of a pool: one query at a time (so the pool can be wrapped). */
export interface PgQueryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string | pg.QueryConfig | pg.QueryArrayConfig, values?: unknown[]): Promise<pg.QueryResult<R>>
}

/**
 * Errors that mean "the database cannot answer now" (no connection within connect_timeout, refused,
 * server shutting down, statement_timeout): the Vault answers 503 vault_unavailable, never 500.
 */
export function unavailable(err: unknown): LedgixError | null {
  const e = err as { code?: string; message?: string }
  const code = e.code ?? ''
  const transient =
    code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT' || code === '57014' || code.startsWith('57P') || code.startsWith('08') ||
    /timeout exceeded when trying to connect|Connection terminated|not queryable|Client was closed/i.test(e.message ?? '')
  return transient ? new LedgixError('vault_unavailable', `the PostgreSQL store cannot answer now: ${e.message ?? code}`) : null
}

/** The pool's reads with transient failures mapped to vault_unavailable. */
export function readerOf(pool: pg.Pool): PgQueryable {
  return {
    async query<R extends pg.QueryResultRow>(text: string | pg.QueryConfig | pg.QueryArrayConfig, values?: unknown[]): Promise<pg.QueryResult<R>> {
      try {
        return await pool.query<R>(text as string, values)
      } catch (err) {
        throw unavailable(err) ?? err
      }
    },
  }
}
