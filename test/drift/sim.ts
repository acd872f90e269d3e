// Seeded synthetic agents for the drift simulations: our own mulberry32 PRNG (deterministic across
// runs and platforms), steady profiles, and the injected shifts the issue names.
import type { DriftObservation, Outcome } from '../../src/drift/index.ts'

/** mulberry32 (Tommy Ettinger's 32-bit generator): tiny, fast, good enough for simulations. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return function next(): number {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand())
}

export function exponential(rand: () => number, mean: number): number {
  return -Math.log(Math.max(rand(), 1e-12)) * mean
}

export interface Profile {
  name: string
  /** tool → share */
  tools: Record<string, number>
  /** tools carrying an `amount`: log-normal (median, sigma of ln). */
  amounts: Record<string, { median: number; sigma: number }>
  /** Counterparties the agent pays (a fixed book), or 0 for none. */
  customers: number
  /** Chance per call of a genuinely new customer in steady state. */
  newCustomerRate: number
  meanGapMs: number
  denyRate: number
  reviewRate: number
}

export const PROFILES: Profile[] = [
  {
    name: 'refund bot',
    tools: { 'stripe.refunds.create': 0.3, 'crm.lookup': 0.5, 'email.send': 0.2 },
    amounts: { 'stripe.refunds.create': { median: 60, sigma: 0.6 } },
    customers: 40, newCustomerRate: 0.02, meanGapMs: 120_000, denyRate: 0.03, reviewRate: 0.05,
  },
  {
    name: 'payments agent',
    tools: { 'payments.create': 0.45, 'payments.get': 0.35, 'ledger.read': 0.15, 'fx.quote': 0.05 },
    amounts: { 'payments.create': { median: 1200, sigma: 1.0 }, 'fx.quote': { median: 5000, sigma: 0.4 } },
    customers: 15, newCustomerRate: 0.005, meanGapMs: 60_000, denyRate: 0.1, reviewRate: 0.02,
  },
  {
    name: 'support assistant',
    tools: { 'tickets.read': 0.6, 'tickets.reply': 0.3, 'kb.search': 0.1 },
    amounts: {},
    customers: 0, newCustomerRate: 0, meanGapMs: 30_000, denyRate: 0.01, reviewRate: 0.0,
  },
]

export interface Shift {
  newTool?: string
  amountFactor?: number
  gapFactor?: number
  /** Every call pays a never-seen customer. */
  newCounterparties?: boolean
}

/** An agent: next() yields its next observation, steady unless a shift is set. */
export class SimAgent {
  readonly rand: () => number
  readonly profile: Profile
  readonly agentId: string
  atMs: number
  shift: Shift = {}
  #fresh = 0
  constructor(profile: Profile, seed: number, startMs: number, agentId = `${profile.name.replace(/ /g, '-')}-${seed}`) {
    this.rand = mulberry32(seed)
    this.profile = profile
    this.agentId = agentId
    this.atMs = startMs
  }

  #pickTool(): string {
    if (this.shift.newTool !== undefined && this.rand() < 0.3) return this.shift.newTool
    let r = this.rand()
    const entries = Object.entries(this.profile.tools)
    for (const [tool, share] of entries) {
      r -= share
      if (r <= 0) return tool
    }
    return entries[entries.length - 1]![0]
  }

  next(): DriftObservation {
    const p = this.profile
    this.atMs += Math.max(1, Math.round(exponential(this.rand, p.meanGapMs * (this.shift.gapFactor ?? 1))))
    const tool = this.#pickTool()
    const args: Record<string, unknown> = { request_note: 'x' }
    const a = p.amounts[tool]
    if (a !== undefined) args.amount = Math.round(100 * a.median * Math.exp(a.sigma * normal(this.rand)) * (this.shift.amountFactor ?? 1)) / 100
    if (p.customers > 0 && a !== undefined) {
      let customer: string
      if (this.shift.newCounterparties === true || this.rand() < p.newCustomerRate) customer = `cus_new_${this.agentId}_${this.#fresh++}`
      else customer = `cus_${Math.floor(this.rand() * p.customers)}`
      args.customer = customer
    }
    const r = this.rand()
    const outcome: Outcome = r < p.denyRate ? 'denied' : r < p.denyRate + p.reviewRate ? 'pending_review' : 'approved'
    return { tenantId: 't', agentId: this.agentId, toolName: tool, toolArgs: args, outcome, policyHint: '', atMs: this.atMs }
  }
}
