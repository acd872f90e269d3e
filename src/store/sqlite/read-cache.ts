// In-memory copies of the rows every customer request reads — the API key by hash, tenant settings,
// agent locks — so hot paths skip a reader-connection query (SQLite drops that connection's page
// cache after every commit of the writer, so at burn rates each such read goes back to the file).
// Never stale: ops this process's writer applies drop the affected map inside their transaction,
// and a commit by any other connection (the CLI's `apikeys revoke` on a live data dir) shows in the
// writer's PRAGMA data_version, which changes only when another connection commits: then
// everything is dropped. Negative answers are cached for settings and locks (most agents are never
// locked), not for API keys (a flood of wrong keys must not grow memory).
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { AgentLockRecord, ApiKeyRecord, SettingsKind, WriteOp } from '../types.ts'

/** Entries per map before it is dropped whole: bounds memory without LRU bookkeeping per read. */
const MAX_ENTRIES = 10_000

class TwoLevel<V> {
  #outer = new Map<string, Map<string, V>>()
  #size = 0

  get(a: string, b: string): V | undefined {
    return this.#outer.get(a)?.get(b)
  }

  set(a: string, b: string, value: V): void {
    if (this.#size >= MAX_ENTRIES) this.clear()
    let inner = this.#outer.get(a)
    if (inner === undefined) {
      inner = new Map()
      this.#outer.set(a, inner)
    }
    if (!inner.has(b)) this.#size++
    inner.set(b, value)
  }

  clear(): void {
    this.#outer.clear()
    this.#size = 0
  }
}

export class ReadCache {
  #dataVersion: Database.Statement
  #seenVersion: unknown
  #apiKeysByHash = new Map<string, ApiKeyRecord>()
  #apiKeysById = new Map<string, ApiKeyRecord>()
  /** null = no row (the default applies). */
  #settings = new TwoLevel<string | null>()
  /** null = never locked. */
  #locks = new TwoLevel<AgentLockRecord | null>()

  /** `writer` must be the connection every write of this process goes through. */
  constructor(writer: Database.Database) {
    this.#dataVersion = writer.prepare('PRAGMA data_version').pluck()
    this.#seenVersion = this.#dataVersion.get()
  }

  /** Call before serving from the cache: drops everything if another connection committed. */
  sync(): void {
    const version = this.#dataVersion.get()
    if (version === this.#seenVersion) return
    this.#seenVersion = version
    this.#dropAll()
  }

  apiKey(keyHash: string): ApiKeyRecord | undefined {
    return this.#apiKeysByHash.get(keyHash)
  }

  /** Records are shared: callers treat them as read-only. */
  putApiKey(record: ApiKeyRecord): void {
    if (this.#apiKeysByHash.size >= MAX_ENTRIES) {
      this.#apiKeysByHash.clear()
      this.#apiKeysById.clear()
    }
    this.#apiKeysByHash.set(record.keyHash, record)
    this.#apiKeysById.set(record.keyId, record)
  }

  /** Mirrors the coalesced last-used update (monotonic, as its UPDATE is). */
  touchApiKey(keyId: string, atMs: number): void {
    const record = this.#apiKeysById.get(keyId)
    if (record !== undefined && (record.lastUsedAtMs === null || record.lastUsedAtMs < atMs)) record.lastUsedAtMs = atMs
  }

  settings(tenantId: TenantId, kind: SettingsKind): string | null | undefined {
    return this.#settings.get(tenantId, kind)
  }

  putSettings(tenantId: TenantId, kind: SettingsKind, value: string | null): void {
    this.#settings.set(tenantId, kind, value)
  }

  lock(tenantId: TenantId, agentId: string): AgentLockRecord | null | undefined {
    return this.#locks.get(tenantId, agentId)
  }

  putLock(tenantId: TenantId, agentId: string, lock: AgentLockRecord | null): void {
    this.#locks.set(tenantId, agentId, lock)
  }

  /** Called by the writer for every op that changes a cached table, inside its transaction. */
  applied(op: WriteOp): void {
    switch (op.op) {
      case 'api_key_revoke':
      case 'api_key_rotate':
        this.#apiKeysByHash.clear()
        this.#apiKeysById.clear()
        break
      case 'settings_put':
        this.#settings.clear()
        break
      case 'agent_lock_put':
        this.#locks.clear()
        break
      default:
        break
    }
  }

  #dropAll(): void {
    this.#apiKeysByHash.clear()
    this.#apiKeysById.clear()
    this.#settings.clear()
    this.#locks.clear()
  }
}
