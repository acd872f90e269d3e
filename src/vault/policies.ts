// Per-tenant policy sets: the latest registered version of each policy (compiled once, cached until
// the tenant registers again) plus the operator's policies_dir files, which every tenant inherits
// unless it registers a policy with the same id. When other processes register policies in the same
// store (PostgreSQL replicas), a cached set is trusted for at most `maxStaleMs`: then the stored
// version ids are read again and the set is recompiled only if they changed.
import { randomUUID } from 'node:crypto'
import type { TenantId } from '../core/index.ts'
import type { PolicyVersionRecord, Store, WriteOp } from '../store/index.ts'
import { compilePolicy, withVersionId } from './policy/index.ts'
import type { CompiledPolicy, PolicyProblem } from './policy/index.ts'

/** The four registration fields; anything else the client sends is ignored (spec §3.1 leniency). */
const REGISTRATION_FIELDS = ['policy_id', 'description', 'rules', 'tools'] as const

export type PreparedPolicy =
  | { ok: true; policy: CompiledPolicy; record: PolicyVersionRecord }
  | { ok: false; errors: PolicyProblem[] }

interface CachedSet {
  policies: readonly CompiledPolicy[]
  /** The stored version ids the set was compiled from. */
  versions: string
  /** performance.now() of the read that confirmed them. */
  checkedAt: number
}

export interface PolicyRegistryOptions {
  /** Longest a cached set is served without re-reading the store's version ids; null = until this process registers. */
  maxStaleMs?: number | null
}

export class PolicyRegistry {
  #store: Store
  #fromDir: readonly CompiledPolicy[]
  #cache = new Map<TenantId, CachedSet>()
  #maxStaleMs: number | null

  constructor(store: Store, fromDir: readonly CompiledPolicy[], options: PolicyRegistryOptions = {}) {
    this.#store = store
    this.#maxStaleMs = options.maxStaleMs ?? null
    this.#fromDir = fromDir.map((p) => (p.versionId === null ? withVersionId(p, `file:${p.policyId}@${p.contentHash.slice(7, 19)}`) : p))
  }

  async forTenant(tenantId: TenantId): Promise<readonly CompiledPolicy[]> {
    const cached = this.#cache.get(tenantId)
    const now = performance.now()
    if (cached !== undefined && (this.#maxStaleMs === null || now - cached.checkedAt < this.#maxStaleMs)) return cached.policies
    const records = await this.#store.listLatestPolicies(tenantId)
    const versions = records.map((r) => r.versionId).join('\n')
    if (cached !== undefined && cached.versions === versions) {
      cached.checkedAt = now
      return cached.policies
    }
    const registered: CompiledPolicy[] = []
    for (const rec of records) {
      const compiled = compilePolicy(JSON.parse(rec.documentJson) as unknown, { versionId: rec.versionId })
      // A stored version always compiled once; if a newer engine refuses it, skip it (fail closed: default effect).
      if (compiled.ok) registered.push(compiled.policy)
    }
    const ids = new Set(registered.map((p) => p.policyId))
    const all = [...registered, ...this.#fromDir.filter((p) => !ids.has(p.policyId))]
    this.#cache.set(tenantId, { policies: all, versions, checkedAt: now })
    return all
  }

  /** Compile a registration body into a new immutable version (not yet written). */
  prepare(tenantId: TenantId, body: Record<string, unknown>, nowMs: number): PreparedPolicy {
    const registration: Record<string, unknown> = {}
    for (const f of REGISTRATION_FIELDS) if (body[f] !== undefined) registration[f] = body[f]
    const versionId = `pv_${randomUUID()}`
    const compiled = compilePolicy(registration, { versionId })
    if (!compiled.ok) return compiled
    const p = compiled.policy
    return {
      ok: true,
      policy: p,
      record: {
        tenantId,
        policyId: p.policyId,
        versionId,
        description: p.description,
        documentJson: JSON.stringify(p.normalized),
        contentHash: p.contentHash,
        createdAtMs: nowMs,
      },
    }
  }

  insertOp(record: PolicyVersionRecord): WriteOp {
    return { op: 'policy_insert', policy: record }
  }

  invalidate(tenantId: TenantId): void {
    this.#cache.delete(tenantId)
  }
}
