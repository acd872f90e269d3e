// The dashboard's part of the Store contract (docs/design/dashboard.md §3): the reads its pages need
// beyond the API's own (queue summary, locked agents, policy versions, the last approved call of an
// agent and tool) and the one write an API-key rotation makes. Pure shapes; the drivers implement them.
import type { ApiKeyId, TenantId } from '../core/index.ts'
import type { AgentLockRecord, ApiKeyRecord, ClearanceRecord, PolicyVersionRecord } from './types.ts'

export interface ReviewQueueStats {
  pending: number
  /** created_at of the oldest pending review; null when none is pending. */
  oldestCreatedAtMs: number | null
  /** Pending reviews whose expiry is at or before the bound asked for. */
  expiringSoon: number
}

/** Dashboard writes (members of the WriteOp union). */
export type DashboardApiWriteOp =
  /**
   * guard: the key `keyId` exists in `tenantId`, is not revoked, was never rotated and has not expired
   * at `atMs`; then its expiry becomes `min(its expiry, expiresAtMs)`, it records `successor.keyId`
   * as its replacement, and `successor` is inserted. Two rotations of one key: exactly one passes.
   */
  { op: 'api_key_rotate'; tenantId: TenantId; keyId: ApiKeyId; expiresAtMs: number; atMs: number; successor: ApiKeyRecord }

export interface DashboardApiStore {
  /** Count, oldest creation and how many expire at or before `expiringBeforeMs`, of the pending reviews. */
  reviewQueueStats(tenantId: TenantId, expiringBeforeMs: number): Promise<ReviewQueueStats>
  /** Agents currently locked down in the tenant, most recently changed first. */
  listLockedAgents(tenantId: TenantId, limit: number): Promise<AgentLockRecord[]>
  /** Every stored version of every policy of the tenant, newest first. */
  listPolicyVersions(tenantId: TenantId, limit: number): Promise<PolicyVersionRecord[]>
  getPolicyVersion(tenantId: TenantId, versionId: string): Promise<PolicyVersionRecord | null>
  /**
   * The newest approved clearance (kind 'clearance') of `agentId` calling `toolName` in the tenant,
   * created at or before `atOrBeforeMs`, other than `excludeRequestId`: what a reviewer compares with.
   */
  getLastApprovedClearance(tenantId: TenantId, agentId: string, toolName: string, atOrBeforeMs: number, excludeRequestId: string): Promise<ClearanceRecord | null>
}
