// Drift detection's part of the Store contract: one JSON state per (tenant, agent) — baseline,
// window, level — and the append-only drift events `/drift/events` lists. Pure shapes: src/drift
// computes, a driver stores.
import type { TenantId } from '../core/index.ts'

export interface DriftAgentRecord {
  tenantId: TenantId
  agentId: string
  /** The agent's state as JSON (src/drift AgentState). */
  stateJson: string
  updatedAtMs: number
}

export interface DriftEventRecord {
  tenantId: TenantId
  eventId: string
  agentId: string
  type: string
  level: string
  score: number
  atMs: number
  /** The event as served (JSON object text). */
  bodyJson: string
}

export interface StoredDriftEvent extends DriftEventRecord {
  /** Per-tenant insertion order, 1-based: the listing cursor. */
  seq: number
}

export interface DriftEventQuery {
  agentId: string | null
  level: string | null
  /** Exclusive upper bound on seq (newest first); null = from the newest. */
  before: number | null
  limit: number
}

/** Drift writes (members of the WriteOp union). */
export type DriftWriteOp =
  | { op: 'drift_state_put'; record: DriftAgentRecord }
  | { op: 'drift_event_insert'; event: DriftEventRecord }

export interface DriftStore {
  /** Every stored agent state (all tenants): the monitor's load at start. */
  listDriftAgents(): Promise<DriftAgentRecord[]>
  listDriftEvents(tenantId: TenantId, query: DriftEventQuery): Promise<StoredDriftEvent[]>
}
