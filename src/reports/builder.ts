// Builds one compliance report (the `ledgix.compliance_report/v1` JSON document) for a tenant and a
// period: population from the ledger, anchor checkpoint and full verification, reviews, policies,
// settings, keys, lockdowns, controls with exceptions, and a sample with inclusion proofs.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { TenantId } from '../core/index.ts'
import { ledgerCheckpointOf } from '../ledger/index.ts'
import type { LedgerService } from '../ledger/index.ts'
import type { SettingsKind, Store, StoredDriftEvent } from '../store/index.ts'
import { canonicalJson } from '../token/index.ts'
import { evaluateControls } from './controls.ts'
import type { LockInterval } from './controls.ts'
import { readPopulation, reviewsOf, REPORT_TOOL } from './population.ts'
import type { PopulationRow } from './population.ts'
import { diffFingerprint, populationSection, reviewSection, selectSample, sha256Hex } from './sections.ts'
import type { Fingerprint, PolicyInForce } from './sections.ts'
import type { ReportSettings } from './settings.ts'

export const REPORT_SCHEMA = 'ledgix.compliance_report/v1'

/** What the Vault hands the builder (reports does not import the Vault: vault → reports). */
export interface ReportSources {
  store: Store
  ledger: LedgerService
  /** The key ring's published JWKS: verification trusts only these. */
  jwks: () => unknown
  policiesInForce: (tenantId: TenantId) => Promise<PolicyInForce[]>
  vaultVersion: string
}

export interface ReportRequest {
  tenantId: TenantId
  reportId: string
  title: string
  periodFromMs: number
  periodToMs: number
  generatedAtMs: number
  requestedBy: string
  settings: ReportSettings
  sampleSeed: string
  /** The previous ready report's document (its fingerprint is diffed), or null. */
  previous: { reportId: string; document: Record<string, unknown> } | null
}

export type ReportDocument = Record<string, unknown>

const iso = (ms: number): string => new Date(ms).toISOString()
const SETTINGS_KINDS: readonly SettingsKind[] = ['review', 'drift', 'notification', 'report']

async function allDriftEvents(store: Store, tenantId: TenantId, fromMs: number, toMs: number): Promise<StoredDriftEvent[]> {
  const out: StoredDriftEvent[] = []
  let before: number | null = null
  for (;;) {
    const page = await store.listDriftEvents(tenantId, { agentId: null, level: null, before, limit: 500 })
    for (const e of page) if (e.atMs >= fromMs && e.atMs < toMs) out.push(e)
    const last = page[page.length - 1]
    if (last === undefined || page.length < 500 || last.atMs < fromMs) break
    before = last.seq
  }
  return out.reverse()
}

async function fingerprintOf(src: ReportSources, tenantId: TenantId): Promise<Fingerprint> {
  const policies = (await src.policiesInForce(tenantId)).sort((a, b) => (a.policy_id < b.policy_id ? -1 : a.policy_id > b.policy_id ? 1 : 0))
  const settings: Record<string, string> = {}
  for (const kind of SETTINGS_KINDS) settings[kind] = sha256Hex((await src.store.getSettings(tenantId, kind)) ?? 'default')
  const kids = (await src.store.listSigningKeys()).filter((k) => k.revokedAtMs === null).map((k) => k.kid).sort()
  return { policy_set_sha256: sha256Hex(canonicalJson(policies.map((p) => [p.policy_id, p.content_hash]))), policies, settings_sha256: settings, signing_kids: kids }
}

export interface BuiltReport {
  document: ReportDocument
  /** The full population for the CSV artifact (rows in seq order, with each decision's token fate). */
  rows: Array<PopulationRow & { token: string }>
}

export async function buildReport(src: ReportSources, req: ReportRequest): Promise<BuiltReport> {
  const { store, ledger } = src
  const { tenantId, periodFromMs: fromMs, periodToMs: toMs } = req
  // Seal what is pending so the anchor covers the period; a row sealed meanwhile is re-read once.
  await ledger.sealer.flush()
  let pop = await readPopulation(store, tenantId, fromMs, toMs, req.generatedAtMs)
  if (pop.rows.some((r) => r.leafIndex === null)) {
    await ledger.sealer.flush()
    pop = await readPopulation(store, tenantId, fromMs, toMs, req.generatedAtMs)
  }
  const anchor = await store.getLatestLedgerCheckpoint(tenantId)
  const treeSize = anchor?.treeSize ?? 0
  const anchorCovers = pop.rows.every((r) => r.leafIndex !== null && r.leafIndex < treeSize)
  const verification = await ledger.verify(tenantId, src.jwks(), () => yieldToLoop(), 'full')

  const reviews = reviewsOf(pop.decisions)
  const population = populationSection(pop.rows.length, pop.decisions, pop.governance.length, reviews)
  const seqContiguous = pop.firstSeq === null || pop.lastSeq! - pop.firstSeq + 1 === pop.rows.length

  const govBySeq = new Map(pop.governance.map((g) => [g.requestId, g.seq]))
  const driftEvents = await allDriftEvents(store, tenantId, fromMs, toMs)
  const privileged: Array<{ seq: number | null; requestId: string; actor: string; what: string; type: string; at: string; reason: string; agent_id: string }> = []
  for (const e of driftEvents) {
    if (e.type !== 'drift.lockdown' && e.type !== 'drift.release' && e.type !== 'drift.settings_changed') continue
    const body = JSON.parse(e.bodyJson) as Record<string, unknown>
    // An automatic lockdown is the system's act; a manual one names the key (and the human, if given).
    const actor = typeof body.actor === 'string' ? body.actor : body.action === 'lockdown' ? 'system:drift-monitor' : ''
    privileged.push({ seq: govBySeq.get(e.eventId) ?? null, requestId: e.eventId, actor, what: e.type, type: e.type, at: iso(e.atMs), reason: typeof body.reason === 'string' ? body.reason : '', agent_id: e.agentId })
  }
  const reportSettingsRows = pop.governance.filter((g) => g.toolName === REPORT_TOOL && g.eventType === 'report.settings_changed')
  for (const g of reportSettingsRows) privileged.push({ seq: g.seq, requestId: g.requestId, actor: g.agentId, what: g.eventType, type: g.eventType, at: iso(g.acceptedAtMs), reason: '', agent_id: '' })

  const fingerprint = await fingerprintOf(src, tenantId)
  const prevFp = (req.previous?.document.configuration_fingerprint ?? null) as (Fingerprint & Record<string, unknown>) | null
  const diff = diffFingerprint(req.previous?.reportId ?? null, prevFp, fingerprint)
  const ledgeredKinds = new Set<string>()
  if (driftEvents.some((e) => e.type === 'drift.settings_changed')) ledgeredKinds.add('drift')
  if (reportSettingsRows.length > 0) ledgeredKinds.add('report')
  const configChanges = diff.changes.map((c) => ({
    name: `${c.kind} ${c.name}`,
    // Policy versions are immutable rows with their registration time; a change is recorded when the
    // version in force was registered in this period. Settings need a ledgered change row.
    ledgered:
      c.kind === 'policy'
        ? fingerprint.policies.some((p) => p.policy_id === c.name && p.registered_at !== null && Date.parse(p.registered_at) >= fromMs)
        : c.kind === 'settings'
          ? ledgeredKinds.has(c.name)
          : true,
  }))

  const signingKeys = await store.listSigningKeys()
  const apiKeys = await store.listApiKeys(tenantId)
  const locks: LockInterval[] = []
  for (const agentId of new Set(pop.decisions.filter((d) => d.row.approved).map((d) => d.row.agentId))) {
    let open: number | null = null
    for (const ev of await store.listAgentLockEvents(tenantId, agentId)) {
      if (ev.locked && open === null) open = ev.changedAtMs
      else if (!ev.locked && open !== null) {
        locks.push({ agentId, fromMs: open, toMs: ev.changedAtMs })
        open = null
      }
    }
    if (open !== null) locks.push({ agentId, fromMs: open, toMs: null })
  }

  const { controls, exceptions } = evaluateControls({
    rows: pop.rows, decisions: pop.decisions, reviews, governance: pop.governance,
    integrityIntact: verification.intact, integrityError: verification.error ?? null, anchorCovers,
    reconciliations: population.reconciliations, seqContiguous, signingKeys, apiKeys, privileged,
    knownPolicyIds: new Set(fingerprint.policies.map((p) => p.policy_id)), configChanges, locks,
  })

  const sampled = selectSample(pop.decisions.filter((d) => d.row.leafIndex !== null), req.sampleSeed, req.settings.sample_size)
  const sampleItems: Array<Record<string, unknown>> = []
  for (const d of sampled) {
    const proof = anchor === null ? null : await ledger.inclusion(tenantId, d.row.requestId, anchor.checkpointId)
    sampleItems.push({
      request_id: d.row.requestId, ledger_seq: d.row.seq, tool_name: d.row.toolName, agent_id: d.row.agentId,
      decision_status: d.row.decisionStatus, event_type: d.row.eventType, accepted_at: iso(d.row.acceptedAtMs),
      reviewer: d.clearance?.reviewer ?? null, token: d.token, leaf_hash: d.row.leafHash,
      inclusion_proof: proof?.ok === true ? { leaf_index: proof.value.leaf_index, tree_size: proof.value.tree_size, path: proof.value.path, event_hash: proof.value.event_hash } : null,
    })
  }
  const humanDecisions = reviews.filter((r) => r.outcome === 'approved' || r.outcome === 'denied')
  const window = (ms: number | null): boolean => ms !== null && ms >= fromMs && ms < toMs
  const fate = new Map(pop.decisions.map((d) => [d.row.seq, d.token]))
  const rows = pop.rows.map((r) => ({ ...r, token: fate.get(r.seq) ?? 'none' }))
  const document: ReportDocument = {
    schema: REPORT_SCHEMA,
    report_id: req.reportId,
    tenant_id: tenantId,
    framework: req.settings.framework,
    title: req.title,
    organization: req.settings.organization_name || tenantId,
    period: { from: iso(fromMs), to: iso(toMs), timezone: 'UTC', end_exclusive: true },
    generated_at: iso(req.generatedAtMs),
    generated_by: req.requestedBy,
    vault: { version: src.vaultVersion },
    parameters: { source: 'ledger', tenant_id: tenantId, accepted_at_from: iso(fromMs), accepted_at_before: iso(toMs), sample_size: req.settings.sample_size, sample_seed: req.sampleSeed },
    configuration_fingerprint: fingerprint,
    changes_since_previous: diff,
    ledger_anchor: {
      checkpoint: anchor === null ? null : ledgerCheckpointOf(anchor),
      first_seq: pop.firstSeq, last_seq: pop.lastSeq, rows: pop.rows.length, covers_period: anchorCovers,
    },
    integrity: { intact: verification.intact, mode: verification.mode, verified_entries: verification.verified_entries, verified_checkpoints: verification.verified_checkpoints, tree_size: verification.tree_size, unsealed_entries: verification.unsealed_entries, error: verification.error ?? null },
    population,
    controls,
    exceptions,
    reviews: reviewSection(reviews),
    overrides: {
      definition: 'requests the automated decision paused for human review, then decided by a human (approved or denied)',
      count: humanDecisions.length,
      approved: humanDecisions.filter((r) => r.outcome === 'approved').length,
      denied: humanDecisions.filter((r) => r.outcome === 'denied').length,
    },
    expiries: reviews.filter((r) => r.outcome === 'expired').map((r) => ({ request_id: r.requestId, ledger_seq: r.seq, agent_id: r.agentId, tool_name: r.toolName, requested_at: iso(r.requestedAtMs), expired_at: iso(r.decidedAtMs) })),
    policies: fingerprint.policies,
    settings_changes: privileged.filter((p) => p.type.endsWith('settings_changed')).map((p) => ({ kind: p.type, at: p.at, actor: p.actor, ledger_seq: p.seq, event_id: p.requestId })),
    keys: {
      signing: signingKeys.map((k) => ({ kid: k.kid, source: k.source, active_from: iso(k.activeFromMs), retired_at: k.retiredAtMs === null ? null : iso(k.retiredAtMs), revoked_at: k.revokedAtMs === null ? null : iso(k.revokedAtMs), rotated_in_period: window(k.activeFromMs) || window(k.retiredAtMs), revoked_in_period: window(k.revokedAtMs) })),
      api_keys: apiKeys.map((k) => ({ key_id: k.keyId, prefix: k.prefix, name: k.name, role: k.role, created_at: iso(k.createdAtMs), revoked_at: k.revokedAtMs === null ? null : iso(k.revokedAtMs), last_used_at: k.lastUsedAtMs === null ? null : iso(k.lastUsedAtMs), revoked_in_period: window(k.revokedAtMs) })),
    },
    lockdowns: privileged.filter((p) => p.type === 'drift.lockdown' || p.type === 'drift.release').map((p) => ({ event_id: p.requestId, type: p.type, agent_id: p.agent_id, at: p.at, actor: p.actor, reason: p.reason, ledger_seq: p.seq })),
    sample: { method: 'sha256(seed + ":" + request_id) ascending, first n of the sealed decisions', seed: req.sampleSeed, size: sampleItems.length, population: pop.decisions.length, items: sampleItems },
  }
  return { document, rows }
}
