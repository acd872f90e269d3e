// The report's population (IPE, AS 1105.10): every ledger row whose accepted_at falls in the period,
// read in seq order from the tamper-evident ledger (not from mutable tables), classified into
// decisions and governance rows, with the per-token and per-review facts the controls test.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { TenantId } from '../core/index.ts'
import type { ClearanceRecord, DecisionChannel, Store, StoredLedgerEvent } from '../store/index.ts'

/** Rows a single report may cover: beyond this the period must be narrowed (bounded memory, ~200 B/row). */
export const MAX_REPORT_ROWS = 500_000
const PAGE = 1000

export const DRIFT_TOOL = 'ledgix.drift'
export const REPORT_TOOL = 'ledgix.report'

export interface PopulationRow {
  seq: number
  requestId: string
  eventType: string
  toolName: string
  agentId: string
  policyId: string
  decisionStatus: string
  approved: boolean
  acceptedAtMs: number
  leafHash: string
  leafIndex: number | null
  checkpointId: number | null
  receiptKid: string
}

export type TokenFate = 'consumed' | 'expired_unused' | 'outstanding' | 'none'

export interface DecisionFacts {
  row: PopulationRow
  /** The clearance as stored now (reviewer, token, SLA); null when the row has none (should not happen). */
  clearance: ClearanceRecord | null
  token: TokenFate
}

export interface Population {
  /** All rows in the period (decisions and governance), seq order. */
  rows: PopulationRow[]
  decisions: DecisionFacts[]
  governance: PopulationRow[]
  /** Ledger rows of the tenant in total, and the highest seq (for the range statement). */
  firstSeq: number | null
  lastSeq: number | null
}

function rowOf(e: StoredLedgerEvent): PopulationRow {
  return {
    seq: e.seq,
    requestId: e.requestId,
    eventType: e.eventType,
    toolName: e.toolName,
    agentId: e.agentId,
    policyId: e.policyId,
    decisionStatus: e.decisionStatus,
    approved: e.approved,
    acceptedAtMs: Date.parse(e.acceptedAt),
    leafHash: e.leafHash,
    leafIndex: e.leafIndex,
    checkpointId: e.checkpointId,
    receiptKid: e.receiptKeyId,
  }
}

export function isGovernance(toolName: string): boolean {
  return toolName === DRIFT_TOOL || toolName === REPORT_TOOL
}

async function tokenFate(store: Store, c: ClearanceRecord | null, atMs: number): Promise<TokenFate> {
  if (c === null || c.jti === null) return 'none'
  if (await store.isBurned(c.jti)) return 'consumed'
  const token = await store.getToken(c.jti)
  return token !== null && token.expSeconds * 1000 > atMs ? 'outstanding' : 'expired_unused'
}

/** Scan the tenant's ledger for rows in [fromMs, toMs); throws past MAX_REPORT_ROWS. */
export async function readPopulation(store: Store, tenantId: TenantId, fromMs: number, toMs: number, asOfMs: number): Promise<Population> {
  const rows: PopulationRow[] = []
  let after: number | null = null
  for (;;) {
    const page = await store.listLedgerEvents(tenantId, { after, limit: PAGE, order: 'asc' })
    for (const e of page) {
      const at = Date.parse(e.acceptedAt)
      if (at >= fromMs && at < toMs) rows.push(rowOf(e))
    }
    if (rows.length > MAX_REPORT_ROWS) throw new Error(`the period holds more than ${MAX_REPORT_ROWS} ledger rows: generate one report per shorter period`)
    if (page.length < PAGE) break
    after = page[page.length - 1]!.seq
    await yieldToLoop()
  }
  const decisions: DecisionFacts[] = []
  const governance: PopulationRow[] = []
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    if (isGovernance(row.toolName)) {
      governance.push(row)
      continue
    }
    const clearance = await store.getClearance(tenantId, row.requestId)
    decisions.push({ row, clearance, token: row.approved ? await tokenFate(store, clearance, asOfMs) : 'none' })
    if (i % 500 === 499) await yieldToLoop()
  }
  return { rows, decisions, governance, firstSeq: rows[0]?.seq ?? null, lastSeq: rows[rows.length - 1]?.seq ?? null }
}

/** Review facts of a decision that went through human review (or expired in the queue). */
export interface ReviewFacts {
  requestId: string
  seq: number
  agentId: string
  toolName: string
  outcome: string
  reviewer: string
  /** The stored decision channel: 'slack' (the Slack app), 'api' (an API key), 'dashboard', 'system' (expiry). */
  channel: DecisionChannel
  role: string | null
  reason: string
  requestedAtMs: number
  decidedAtMs: number
  latencyMs: number
  expiresAtMs: number | null
}

export function reviewsOf(decisions: readonly DecisionFacts[]): ReviewFacts[] {
  const out: ReviewFacts[] = []
  for (const d of decisions) {
    if (!d.row.eventType.startsWith('review')) continue
    const c = d.clearance
    const expired = d.row.eventType === 'review.expired'
    // Stored with the decision since store version 8 (older rows backfilled); an expiry is the Vault's own.
    const channel: DecisionChannel = expired ? 'system' : (c?.decisionChannel ?? 'api')
    const requestedAtMs = c?.createdAtMs ?? d.row.acceptedAtMs
    out.push({
      requestId: d.row.requestId,
      seq: d.row.seq,
      agentId: d.row.agentId,
      toolName: d.row.toolName,
      outcome: expired ? 'expired' : d.row.eventType === 'review.cancelled_by_agent' ? 'cancelled_by_agent' : d.row.approved ? 'approved' : 'denied',
      reviewer: c?.reviewer ?? '',
      channel,
      role: c?.decidedByRole ?? null,
      reason: c?.reviewReason ?? '',
      requestedAtMs,
      decidedAtMs: d.row.acceptedAtMs,
      latencyMs: Math.max(0, d.row.acceptedAtMs - requestedAtMs),
      expiresAtMs: c?.reviewExpiresAtMs ?? null,
    })
  }
  return out
}
