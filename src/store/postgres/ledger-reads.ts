// The ledger's, drift's and the outbox's reads on the PostgreSQL pool. Same queries as the SQLite
// driver (same column names, so the same row mappers), written for PostgreSQL: bytea comparisons,
// array rows for the ledger's wide event rows.
import type { PgQueryable } from './pool.ts'
import type { TenantId } from '../../core/index.ts'
import type {
  LedgerCheckpointRecord,
  LedgerCounts,
  LedgerListQuery,
  LedgerNode,
  LedgerNodeRangeMatch,
  LedgerNodeRef,
  LedgerStore,
  StoredLedgerEvent,
  UnsealedLeaf,
} from '../ledger-types.ts'
import type { DriftAgentRecord, DriftEventQuery, DriftStore, StoredDriftEvent } from '../drift-types.ts'
import { EVENT_COLUMNS, toLedgerCheckpoint, toLedgerEvent } from '../sqlite/ledger-reads.ts'

type Row = Record<string, unknown>

const EVENTS = `SELECT ${EVENT_COLUMNS.join(', ')} FROM decision_events`

const SQL = {
  eventsAsc: `${EVENTS} WHERE tenant_id = $1 AND tenant_seq > $2 ORDER BY tenant_seq LIMIT $3`,
  eventsDesc: `${EVENTS} WHERE tenant_id = $1 AND tenant_seq < $2 ORDER BY tenant_seq DESC LIMIT $3`,
  byLeaf: `${EVENTS} WHERE tenant_id = $1 AND leaf_index IS NOT NULL AND leaf_index >= $2 ORDER BY leaf_index LIMIT $3`,
  unsealedRows: `${EVENTS} WHERE tenant_id = $1 AND leaf_index IS NULL AND seq > $2 ORDER BY seq LIMIT $3`,
  byRequest: `${EVENTS} WHERE tenant_id = $1 AND request_id = $2 ORDER BY seq DESC LIMIT 1`,
  unsealedLeaves: 'SELECT seq, leaf_hash FROM decision_events WHERE tenant_id = $1 AND leaf_index IS NULL AND event_hash IS NOT NULL ORDER BY seq LIMIT $2',
  unsealedTenants: 'SELECT DISTINCT tenant_id FROM decision_events WHERE leaf_index IS NULL AND event_hash IS NOT NULL',
  counts: 'SELECT COUNT(*)::int AS n, (COUNT(*) FILTER (WHERE leaf_index IS NULL))::int AS u FROM decision_events WHERE tenant_id = $1',
  cpAsc: 'SELECT * FROM ledger_checkpoints WHERE tenant_id = $1 AND checkpoint_id > $2 ORDER BY checkpoint_id LIMIT $3',
  cpDesc: 'SELECT * FROM ledger_checkpoints WHERE tenant_id = $1 AND checkpoint_id < $2 ORDER BY checkpoint_id DESC LIMIT $3',
  cp: 'SELECT * FROM ledger_checkpoints WHERE tenant_id = $1 AND checkpoint_id = $2',
  cpLatest: 'SELECT * FROM ledger_checkpoints WHERE tenant_id = $1 ORDER BY checkpoint_id DESC LIMIT 1',
  // One round trip for any number of point reads.
  nodes: `SELECT r.ord, n.hash FROM unnest($2::int[], $3::bigint[]) WITH ORDINALITY AS r(level, idx, ord)
     JOIN ledger_nodes n ON n.tenant_id = $1 AND n.level = r.level AND n.idx = r.idx`,
  nodeRange: 'SELECT idx, hash FROM ledger_nodes WHERE tenant_id = $1 AND level = $2 AND idx >= $3 AND idx < $4 ORDER BY idx',
  // substring of a bytea is a bytea; equality compares length and bytes, so only an exact 32-byte
  // node counts as matching.
  nodeMatch: `SELECT count(*)::int AS n, min(idx) AS lo, max(idx) AS hi,
       coalesce(sum(CASE WHEN hash = substring($1::bytea FROM ((idx - $2) * 32 + 1)::int FOR 32) THEN 1 ELSE 0 END), 0)::int AS m
     FROM ledger_nodes WHERE tenant_id = $3 AND level = $4 AND idx >= $2 AND idx < $5`,
  dataKey: 'SELECT wrapped_key FROM ledger_data_keys WHERE tenant_id = $1',
  driftAgents: 'SELECT tenant_id, agent_id, state, updated_at FROM drift_agents ORDER BY tenant_id, agent_id',
  driftEvents: `SELECT * FROM drift_events WHERE tenant_id = $1 AND seq < $2
       AND ($3::text IS NULL OR agent_id = $3) AND ($4::text IS NULL OR level = $4)
     ORDER BY seq DESC LIMIT $5`,
} as const

function cursor(query: LedgerListQuery): number {
  return query.after ?? (query.order === 'asc' ? -1 : Number.MAX_SAFE_INTEGER)
}

export class PgLedgerReads implements LedgerStore, DriftStore {
  readonly #pool: PgQueryable
  constructor(pool: PgQueryable) {
    this.#pool = pool
  }

  async #events(text: string, values: unknown[]): Promise<StoredLedgerEvent[]> {
    const r = await this.#pool.query({ text, values, rowMode: 'array' })
    return (r.rows as unknown as unknown[][]).map((row) => toLedgerEvent(row))
  }
  listLedgerEvents(tenantId: TenantId, query: LedgerListQuery): Promise<StoredLedgerEvent[]> {
    return this.#events(query.order === 'asc' ? SQL.eventsAsc : SQL.eventsDesc, [tenantId, cursor(query), query.limit])
  }
  listLedgerEventsByLeaf(tenantId: TenantId, fromLeafIndex: number, limit: number): Promise<StoredLedgerEvent[]> {
    return this.#events(SQL.byLeaf, [tenantId, fromLeafIndex, limit])
  }
  listUnsealedLedgerEvents(tenantId: TenantId, afterRowSeq: number, limit: number): Promise<StoredLedgerEvent[]> {
    return this.#events(SQL.unsealedRows, [tenantId, afterRowSeq, limit])
  }
  async getLedgerEventByRequest(tenantId: TenantId, requestId: string): Promise<StoredLedgerEvent | null> {
    return (await this.#events(SQL.byRequest, [tenantId, requestId]))[0] ?? null
  }
  async listUnsealedLeaves(tenantId: TenantId, limit: number): Promise<UnsealedLeaf[]> {
    const r = await this.#pool.query<{ seq: number; leaf_hash: string }>(SQL.unsealedLeaves, [tenantId, limit])
    return r.rows.map((row) => ({ rowSeq: row.seq, leafHash: row.leaf_hash }))
  }
  async listTenantsWithUnsealed(): Promise<TenantId[]> {
    return (await this.#pool.query<{ tenant_id: string }>(SQL.unsealedTenants)).rows.map((r) => r.tenant_id as TenantId)
  }
  async countLedgerEvents(tenantId: TenantId): Promise<LedgerCounts> {
    const r = (await this.#pool.query<{ n: number; u: number }>(SQL.counts, [tenantId])).rows[0]!
    return { total: r.n, sealed: r.n - r.u, unsealed: r.u }
  }
  async listLedgerCheckpoints(tenantId: TenantId, query: LedgerListQuery): Promise<LedgerCheckpointRecord[]> {
    const r = await this.#pool.query<Row>(query.order === 'asc' ? SQL.cpAsc : SQL.cpDesc, [tenantId, cursor(query), query.limit])
    return r.rows.map(toLedgerCheckpoint)
  }
  async getLedgerCheckpoint(tenantId: TenantId, checkpointId: number): Promise<LedgerCheckpointRecord | null> {
    const r = await this.#pool.query<Row>(SQL.cp, [tenantId, checkpointId])
    return r.rows.length === 0 ? null : toLedgerCheckpoint(r.rows[0]!)
  }
  async getLatestLedgerCheckpoint(tenantId: TenantId): Promise<LedgerCheckpointRecord | null> {
    const r = await this.#pool.query<Row>(SQL.cpLatest, [tenantId])
    return r.rows.length === 0 ? null : toLedgerCheckpoint(r.rows[0]!)
  }
  async getLedgerNodes(tenantId: TenantId, refs: readonly LedgerNodeRef[]): Promise<Array<Uint8Array | undefined>> {
    const out: Array<Uint8Array | undefined> = new Array(refs.length).fill(undefined)
    if (refs.length === 0) return out
    const r = await this.#pool.query<{ ord: number; hash: Buffer }>(SQL.nodes, [tenantId, refs.map((x) => x.level), refs.map((x) => x.index)])
    for (const row of r.rows) out[row.ord - 1] = row.hash
    return out
  }
  async listLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, toIndex: number): Promise<LedgerNode[]> {
    const r = await this.#pool.query<{ idx: number; hash: Buffer }>(SQL.nodeRange, [tenantId, level, fromIndex, toIndex])
    return r.rows.map((row) => ({ level, index: row.idx, hash: row.hash }))
  }
  async matchLedgerNodes(tenantId: TenantId, level: number, fromIndex: number, expected: Uint8Array): Promise<LedgerNodeRangeMatch> {
    const toIndex = fromIndex + Math.floor(expected.length / 32)
    const bytes = Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength)
    const r = (await this.#pool.query<{ n: number; lo: number | null; hi: number | null; m: number }>(SQL.nodeMatch, [bytes, fromIndex, tenantId, level, toIndex])).rows[0]!
    return { count: r.n, minIndex: r.lo, maxIndex: r.hi, matching: r.m }
  }
  async getLedgerDataKey(tenantId: TenantId): Promise<Uint8Array | null> {
    const r = await this.#pool.query<{ wrapped_key: Buffer }>(SQL.dataKey, [tenantId])
    return r.rows[0]?.wrapped_key ?? null
  }
  async listDriftAgents(): Promise<DriftAgentRecord[]> {
    const r = await this.#pool.query<Row>(SQL.driftAgents)
    return r.rows.map((row) => ({
      tenantId: row.tenant_id as TenantId,
      agentId: row.agent_id as string,
      stateJson: row.state as string,
      updatedAtMs: Number(row.updated_at),
    }))
  }
  async listDriftEvents(tenantId: TenantId, q: DriftEventQuery): Promise<StoredDriftEvent[]> {
    const r = await this.#pool.query<Row>(SQL.driftEvents, [tenantId, q.before ?? Number.MAX_SAFE_INTEGER, q.agentId, q.level, q.limit])
    return r.rows.map((row) => ({
      tenantId: row.tenant_id as TenantId,
      seq: Number(row.seq),
      eventId: row.event_id as string,
      agentId: row.agent_id as string,
      type: row.type as string,
      level: row.level as string,
      score: Number(row.score),
      atMs: Number(row.at),
      bodyJson: row.body as string,
    }))
  }
}
