// Opens the Store the config names: SQLite in data_dir (the default) or PostgreSQL at store.url.
// The one place the Vault's composition root and the `store` CLI commands turn config into a driver.
import { join } from 'node:path'
import type { VaultServerConfig } from '../config/index.ts'
import { openPostgresStore, openSqliteStore } from '../store/index.ts'
import type { PostgresStoreOptions, Store } from '../store/index.ts'

/** The PostgreSQL store options of a `driver: postgres` config (null for SQLite). */
export function postgresOptionsOf(config: VaultServerConfig): PostgresStoreOptions | null {
  const s = config.store
  if (s === undefined || s.driver !== 'postgres') return null
  return {
    url: s.url,
    schema: s.schema,
    max: s.pool.max,
    statementTimeoutMs: s.pool.statementTimeoutMs,
    idleTimeoutMs: s.pool.idleTimeoutMs,
    connectTimeoutMs: s.pool.connectTimeoutMs,
    maxQueue: config.writeQueue.maxQueue,
    maxBatch: config.writeQueue.maxBatch,
    ...(s.leaderPollMs === undefined ? {} : { leaderPollMs: s.leaderPollMs }),
    ...(s.tls === undefined ? {} : { tls: s.tls }),
  }
}

/**
 * `onFailure` hears of a store that can no longer make writes durable (SQLite's failed WAL sync).
 * PostgreSQL start-up failures reject with a StoreOpenError whose message says what to fix.
 */
export async function openVaultStore(config: VaultServerConfig, onFailure: (err: Error) => void): Promise<Store> {
  const pg = postgresOptionsOf(config)
  if (pg !== null) return openPostgresStore(pg)
  return openSqliteStore({ path: join(config.dataDir, 'vault.db'), ...config.writeQueue, onFailure })
}
