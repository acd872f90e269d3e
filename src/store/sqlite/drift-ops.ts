// SQLite statements for drift detection: the per-agent state upsert, the event insert (its per-tenant
// seq taken in the same transaction, as ledger rows do) and the two reads.
import type Database from 'better-sqlite3'
import type { TenantId } from '../../core/index.ts'
import type { DriftAgentRecord, DriftEventQuery, DriftWriteOp, StoredDriftEvent } from '../drift-types.ts'

export function createDriftApplier(db: Database.Database): (op: DriftWriteOp) => boolean {
  const s = {
    statePut: db.prepare(
      `INSERT INTO drift_agents (tenant_id, agent_id, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(tenant_id, agent_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ),
    eventInsert: db.prepare(
      `INSERT INTO drift_events (tenant_id, seq, event_id, agent_id, type, level, score, at, body)
       VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM drift_events WHERE tenant_id = ?), ?, ?, ?, ?, ?, ?, ?)`,
    ),
  }
  return function applyDriftOp(op: DriftWriteOp): boolean {
    switch (op.op) {
      case 'drift_state_put': {
        const r = op.record
        s.statePut.run(r.tenantId, r.agentId, r.stateJson, r.updatedAtMs)
        return true
      }
      case 'drift_event_insert': {
        const e = op.event
        s.eventInsert.run(e.tenantId, e.tenantId, e.eventId, e.agentId, e.type, e.level, e.score, e.atMs, e.bodyJson)
        return true
      }
      default: {
        const never: never = op
        throw new Error(`unknown drift op ${JSON.stringify(never)}`)
      }
    }
  }
}

type Row = Record<string, unknown>

function toEvent(r: Row): StoredDriftEvent {
  return {
    tenantId: r.tenant_id as TenantId,
    seq: Number(r.seq),
    eventId: r.event_id as string,
    agentId: r.agent_id as string,
    type: r.type as string,
    level: r.level as string,
    score: Number(r.score),
    atMs: Number(r.at),
    bodyJson: r.body as string,
  }
}

export class SqliteDriftReads {
  #agents: Database.Statement
  #events: Database.Statement
  constructor(r: Database.Database) {
    this.#agents = r.prepare('SELECT tenant_id, agent_id, state, updated_at FROM drift_agents ORDER BY tenant_id, agent_id')
    // One statement for every filter combination: NULL parameters switch a condition off.
    this.#events = r.prepare(
      `SELECT * FROM drift_events WHERE tenant_id = ? AND seq < ?
         AND (? IS NULL OR agent_id = ?) AND (? IS NULL OR level = ?)
       ORDER BY seq DESC LIMIT ?`,
    )
  }
  async listDriftAgents(): Promise<DriftAgentRecord[]> {
    return (this.#agents.all() as Row[]).map((r) => ({
      tenantId: r.tenant_id as TenantId,
      agentId: r.agent_id as string,
      stateJson: r.state as string,
      updatedAtMs: Number(r.updated_at),
    }))
  }
  async listDriftEvents(tenantId: TenantId, q: DriftEventQuery): Promise<StoredDriftEvent[]> {
    const before = q.before ?? Number.MAX_SAFE_INTEGER
    return (this.#events.all(tenantId, before, q.agentId, q.agentId, q.level, q.level, q.limit) as Row[]).map(toEvent)
  }
}
