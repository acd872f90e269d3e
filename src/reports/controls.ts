// The control catalog (design notes C1, ours): each control states its population, tests the WHOLE
// population, and lists every exception with the ledger seq that shows it. Pure: the builder gathers
// the evidence, this file judges it, so a test can feed it hostile evidence directly.
import type { ApiKeyRecord, SigningKeyRecord } from '../store/index.ts'
import type { DecisionFacts, PopulationRow, ReviewFacts } from './population.ts'

export type ControlResult = 'effective' | 'exception' | 'not_applicable'

export interface ReportException {
  id: string
  control: string
  request_id: string | null
  ledger_seq: number | null
  description: string
  severity: 'deficiency' | 'significant' | 'material'
  disposition: 'open'
}

export interface ControlView {
  id: string
  domain: 'access' | 'change' | 'operations' | 'application'
  title: string
  type: 'automated' | 'listing'
  population: { count: number; definition: string }
  test: string
  result: ControlResult
  exceptions: string[]
}

export interface Reconciliation {
  name: string
  equation: string
  ok: boolean
}

export interface LockInterval {
  agentId: string
  fromMs: number
  /** null = still locked. */
  toMs: number | null
}

export interface ControlEvidence {
  rows: readonly PopulationRow[]
  decisions: readonly DecisionFacts[]
  reviews: readonly ReviewFacts[]
  governance: readonly PopulationRow[]
  integrityIntact: boolean
  integrityError: string | null
  /** Every in-period row is a leaf of the anchor checkpoint's tree. */
  anchorCovers: boolean
  reconciliations: readonly Reconciliation[]
  seqContiguous: boolean
  signingKeys: readonly SigningKeyRecord[]
  apiKeys: readonly ApiKeyRecord[]
  /** Governance actions with the actor recorded (lockdowns, releases, settings changes). */
  privileged: ReadonlyArray<{ seq: number | null; requestId: string; actor: string; what: string }>
  knownPolicyIds: ReadonlySet<string>
  /** Fingerprint entries that changed since the previous report, and whether a ledger row records each. */
  configChanges: ReadonlyArray<{ name: string; ledgered: boolean }>
  locks: readonly LockInterval[]
}

interface Draft {
  id: string
  domain: ControlView['domain']
  title: string
  type?: ControlView['type']
  definition: string
  count: number
  test: string
  found: Array<Omit<ReportException, 'id' | 'control' | 'disposition'>>
  applicable?: boolean
}

function lockedAt(locks: readonly LockInterval[], agentId: string, atMs: number): boolean {
  for (const l of locks) if (l.agentId === agentId && atMs >= l.fromMs && (l.toMs === null || atMs < l.toMs)) return true
  return false
}

function drafts(e: ControlEvidence): Draft[] {
  const revokedAt = new Map<string, number>()
  for (const k of e.signingKeys) if (k.revokedAtMs !== null) revokedAt.set(k.kid, k.revokedAtMs)
  const approvals = e.decisions.filter((d) => d.row.approved)
  const human = e.reviews.filter((r) => r.outcome === 'approved' || r.outcome === 'denied')
  return [
    { id: 'VA-OP-01', domain: 'operations', title: 'Ledger integrity: every row re-hashes, receipts and checkpoints verify, checkpoints chain', definition: 'all ledger rows of the tenant', count: e.rows.length, test: 'full verification pass over the ledger (leaves recomputed, receipts and checkpoint signatures checked)',
      found: e.integrityIntact ? [] : [{ request_id: null, ledger_seq: null, description: `ledger verification failed: ${e.integrityError ?? 'not intact'}`, severity: 'material' }] },
    { id: 'VA-OP-02', domain: 'operations', title: 'Population completeness: contiguous seq range and totals that reconcile', definition: 'ledger rows accepted in the period', count: e.rows.length, test: 'seq range has no gap; every reconciliation adds up',
      found: [
        ...(e.seqContiguous ? [] : [{ request_id: null, ledger_seq: null, description: 'the seq range of the period has a gap', severity: 'material' as const }]),
        ...e.reconciliations.filter((r) => !r.ok).map((r) => ({ request_id: null, ledger_seq: null, description: `reconciliation ${r.name} does not add up: ${r.equation}`, severity: 'material' as const })),
      ] },
    { id: 'VA-OP-03', domain: 'operations', title: 'The period is anchored under a signed checkpoint', definition: 'ledger rows accepted in the period', count: e.rows.length, test: 'every row is a leaf below the anchor checkpoint tree size',
      found: e.anchorCovers ? [] : [{ request_id: null, ledger_seq: null, description: 'some rows of the period are not sealed under the anchor checkpoint', severity: 'significant' }] },
    { id: 'VA-OP-04', domain: 'operations', title: 'Signing keys rotated and revoked under control', definition: 'receipts of rows in the period', count: e.rows.length, test: 'no receipt signed by a key after that key was revoked',
      found: e.rows.filter((r) => { const at = revokedAt.get(r.receiptKid); return at !== undefined && r.acceptedAtMs >= at }).map((r) => ({ request_id: r.requestId, ledger_seq: r.seq, description: `receipt signed by revoked key ${r.receiptKid}`, severity: 'material' as const })) },
    { id: 'VA-AC-01', domain: 'access', title: 'API keys are hashed at rest and role-scoped; revoked keys stop working', definition: 'API keys of the tenant', count: e.apiKeys.length, test: 'no key used after its revocation',
      found: e.apiKeys.filter((k) => k.revokedAtMs !== null && k.lastUsedAtMs !== null && k.lastUsedAtMs > k.revokedAtMs).map((k) => ({ request_id: null, ledger_seq: null, description: `API key ${k.prefix}… (${k.name}) used after revocation`, severity: 'significant' as const })) },
    { id: 'VA-AC-02', domain: 'access', title: 'Privileged operations are attributable', definition: 'lockdowns, releases and settings changes in the period', count: e.privileged.length, test: 'every action names its actor',
      found: e.privileged.filter((p) => p.actor.trim() === '').map((p) => ({ request_id: p.requestId, ledger_seq: p.seq, description: `${p.what} without an actor`, severity: 'significant' as const })) },
    { id: 'VA-AC-03', domain: 'access', title: 'API key listing for the customer\'s access review (IPE)', type: 'listing', definition: 'API keys of the tenant with role, creation, revocation and last use', count: e.apiKeys.length, test: 'listing provided in full (section Access)', found: [] },
    { id: 'VA-CM-01', domain: 'change', title: 'Decisions cite a registered policy (or the default effect)', definition: 'decisions in the period', count: e.decisions.length, test: 'policy_id is empty (default effect) or a policy registered now',
      found: e.decisions.filter((d) => d.row.policyId !== '' && !e.knownPolicyIds.has(d.row.policyId)).map((d) => ({ request_id: d.row.requestId, ledger_seq: d.row.seq, description: `decision cites policy "${d.row.policyId}" which is not registered`, severity: 'deficiency' as const })) },
    { id: 'VA-CM-02', domain: 'change', title: 'Configuration changes are ledgered', definition: 'configuration fingerprint entries changed since the previous report', count: e.configChanges.length, test: 'each changed entry has a ledger row in the period', applicable: true,
      found: e.configChanges.filter((c) => !c.ledgered).map((c) => ({ request_id: null, ledger_seq: null, description: `${c.name} changed since the previous report without a ledger row in this period`, severity: 'deficiency' as const })) },
    { id: 'VA-AP-01', domain: 'application', title: 'Tokens are single-use and every minted token is accounted for', definition: 'tokens minted for approvals in the period', count: approvals.length, test: 'minted = consumed + expired unused + outstanding; a burn is a unique row (a second consume is refused)',
      found: e.reconciliations.filter((r) => r.name === 'tokens_add_up' && !r.ok).map((r) => ({ request_id: null, ledger_seq: null, description: `tokens do not reconcile: ${r.equation}`, severity: 'material' as const })) },
    { id: 'VA-AP-03', domain: 'application', title: 'Segregation of duties: agents cannot approve their own reviews', definition: 'human review decisions in the period', count: human.length, test: 'no approval decided with an agent-role key',
      found: human.filter((r) => r.outcome === 'approved' && r.role === 'agent').map((r) => ({ request_id: r.requestId, ledger_seq: r.seq, description: `review approved with an agent-role key (${r.reviewer})`, severity: 'significant' as const })) },
    { id: 'VA-AP-04', domain: 'application', title: 'Reviews are decided before they expire', definition: 'review decisions in the period', count: e.reviews.length, test: 'no decision after the review expiry',
      found: human.filter((r) => r.expiresAtMs !== null && r.decidedAtMs > r.expiresAtMs).map((r) => ({ request_id: r.requestId, ledger_seq: r.seq, description: `review decided ${Math.round((r.decidedAtMs - r.expiresAtMs!) / 1000)} s after it expired`, severity: 'deficiency' as const })) },
    { id: 'VA-AP-05', domain: 'application', title: 'Locked agents get no clearances', definition: 'approvals in the period', count: approvals.length, test: 'no approval for an agent while it was locked down',
      found: approvals.filter((d) => lockedAt(e.locks, d.row.agentId, d.row.acceptedAtMs)).map((d) => ({ request_id: d.row.requestId, ledger_seq: d.row.seq, description: `approval for agent "${d.row.agentId}" while it was locked down`, severity: 'material' as const })) },
  ]
}

/** The controls and their exceptions (numbered exc_001… in control order: stable for the same input). */
export function evaluateControls(e: ControlEvidence): { controls: ControlView[]; exceptions: ReportException[] } {
  const controls: ControlView[] = []
  const exceptions: ReportException[] = []
  for (const d of drafts(e)) {
    const ids: string[] = []
    for (const f of d.found) {
      const id = `exc_${String(exceptions.length + 1).padStart(3, '0')}`
      exceptions.push({ id, control: d.id, disposition: 'open', ...f })
      ids.push(id)
    }
    const result: ControlResult = ids.length > 0 ? 'exception' : d.count === 0 && d.applicable !== true ? 'not_applicable' : 'effective'
    controls.push({ id: d.id, domain: d.domain, title: d.title, type: d.type ?? 'automated', population: { count: d.count, definition: d.definition }, test: d.test, result, exceptions: ids })
  }
  return { controls, exceptions }
}
