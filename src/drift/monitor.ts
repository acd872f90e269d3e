// The drift worker: the clearance path hands it a compact observation (a bounded array push; a full
// queue drops and counts, it never blocks), a timer folds the queue into per-agent state off the
// request path, events go to the sink (stored + ledgered, with the lockdown in enforce mode), and
// dirty states are written back in one batched write, so a restart keeps baselines.
import type { Registry } from 'prom-client'
import type { Clock, TenantId } from '../core/index.ts'
import type { AgentLockRecord, ClearanceRecord, Store } from '../store/index.ts'
import type { AgentState, DriftObservation } from './agent-state.ts'
import { resetToLearning, reviveAgentState } from './agent-state.ts'
import { afterRelease, compileSettings, needsIdleEvaluation, observe, reevaluate } from './engine.ts'
import type { CompiledSettings, DriftEventDraft } from './engine.ts'
import { driftSettingsFrom } from './settings.ts'
import type { DriftSettings } from './settings.ts'
import { registerDriftMetrics } from './metrics.ts'
import { eventView } from './views.ts'

/** Queue bound: at the Vault's measured clearance rates, seconds of backlog; beyond it we shed. */
export const DEFAULT_DRIFT_QUEUE = 50_000
/** How often the worker wakes: latency of detection, not of any request. */
export const DEFAULT_DRIFT_TICK_MS = 200
/** How often dirty agent states reach the store (a crash loses at most this much learning). */
export const DEFAULT_DRIFT_FLUSH_MS = 5_000
/**
 * Agents tracked per tenant. agent_id is the caller's choice, so without a bound one API key could grow
 * drift memory (and the state writes) with fresh ids; past it, new agents are counted, not tracked.
 */
export const MAX_AGENTS_PER_TENANT = 10_000
/**
 * How often an idle agent (no call for this long) is re-evaluated by the timer, so its level decays —
 * or its window's shift is confirmed — without a new call (design notes §C4: "a 5-minute timer").
 */
export const DEFAULT_DRIFT_IDLE_EVAL_MS = 300_000
/** Agents the idle pass examines per worker pass: bounded work per tick, however many agents exist. */
export const IDLE_SLICE = 500
/** Observations folded before yielding the event loop to requests again. */
const SLICE = 256
/** Events whose durable write failed (store overloaded) wait for the next pass; beyond these, dropped. */
const MAX_RETRY = 1000
const MAX_ATTEMPTS = 5

interface PendingEmit {
  tenantId: TenantId
  event: DriftEventDraft
  body: Record<string, unknown>
  lock: AgentLockRecord | null
  attempts: number
}

/** What drift asks of its host (the Vault): store the event durably, ledger it, lock when asked. */
export interface DriftSink {
  record(tenantId: TenantId, event: DriftEventDraft, body: Record<string, unknown>, lock: AgentLockRecord | null): Promise<void>
}

export interface DriftMonitorOptions {
  store: Store
  clock: Clock
  sink: DriftSink
  maxQueue?: number
  maxAgentsPerTenant?: number
  tickMs?: number
  flushMs?: number
  /** Idle re-evaluation interval (default DEFAULT_DRIFT_IDLE_EVAL_MS). */
  idleEvalMs?: number
  onError?: (err: unknown) => void
}

/** Plain counters the host exports on /metrics (no agent ids: their number is the caller's choice). */
export interface DriftCounters {
  /** Evaluations by trigger: a request's, or the idle timer's. */
  evaluations: { request: number; idle: number }
  /** Automatic lockdowns recorded (the sink accepted the lock). */
  lockdowns: number
  /** Drift events recorded, all types. */
  events: number
}

/** Outcomes that say nothing about the agent's behaviour: a lock's own denials, a restart's. */
const IGNORED_REASON_CODES = new Set(['agent_locked', 'evaluation_interrupted'])

function keyOf(tenantId: string, agentId: string): string {
  return `${tenantId}\u0000${agentId}`
}

export class DriftMonitor {
  /** Observations shed because the queue was full (exported as a metric by the host). */
  dropped = 0
  processed = 0
  /** Observations of agents beyond MAX_AGENTS_PER_TENANT (not tracked). */
  untracked = 0
  readonly counters: DriftCounters = { evaluations: { request: 0, idle: 0 }, lockdowns: 0, events: 0 }
  readonly #o: DriftMonitorOptions
  readonly #idleEvalMs: number
  /** The idle cycle in progress: a snapshot of agent keys and the next index; null between cycles. */
  #idleKeys: string[] | null = null
  #idleAt = 0
  #lastIdleCycleMs = 0
  readonly #maxQueue: number
  readonly #maxAgents: number
  #queue: DriftObservation[] = []
  readonly #agents = new Map<string, AgentState>()
  readonly #byTenant = new Map<string, Set<string>>()
  readonly #dirty = new Set<string>()
  readonly #settings = new Map<string, { raw: string | null; compiled: CompiledSettings }>()
  #retry: PendingEmit[] = []
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #lastFlushMs = 0

  constructor(options: DriftMonitorOptions) {
    this.#o = options
    this.#maxQueue = options.maxQueue ?? DEFAULT_DRIFT_QUEUE
    this.#maxAgents = options.maxAgentsPerTenant ?? MAX_AGENTS_PER_TENANT
    this.#idleEvalMs = options.idleEvalMs ?? DEFAULT_DRIFT_IDLE_EVAL_MS
  }

  async start(): Promise<void> {
    for (const r of await this.#o.store.listDriftAgents()) this.#put(r.tenantId, r.agentId, reviveAgentState(JSON.parse(r.stateJson)))
    this.#lastFlushMs = this.#o.clock.now()
    this.#lastIdleCycleMs = this.#lastFlushMs
    this.#timer = setInterval(tickDrift, this.#o.tickMs ?? DEFAULT_DRIFT_TICK_MS, this)
    this.#timer.unref()
  }

  /** Folds what is queued, then writes every dirty state; the host calls it before the store closes. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.drain()
    await this.flush()
  }

  /** The clearance path's hook, after the decision is durable: O(1), never throws, never waits. */
  observe(c: ClearanceRecord): void {
    if (c.reasonCode !== null && IGNORED_REASON_CODES.has(c.reasonCode)) return
    if (c.status === 'processing') return
    if (this.#queue.length >= this.#maxQueue) {
      this.dropped++
      return
    }
    const hint = c.context.policy_id
    this.#queue.push({
      tenantId: c.tenantId,
      agentId: c.agentId,
      toolName: c.toolName,
      toolArgs: c.toolArgs,
      outcome: c.status,
      policyHint: typeof hint === 'string' ? hint : '',
      atMs: c.createdAtMs,
    })
  }

  get queued(): number {
    return this.#queue.length
  }

  /** Dirty states older than the flush interval wait for a write (the timer checks). */
  /** Events waiting to be written again. */
  get pendingEvents(): number {
    return this.#retry.length
  }

  /** An idle cycle is running, or the interval since the last one has passed. */
  get idleDue(): boolean {
    return this.#idleKeys !== null || this.#o.clock.now() - this.#lastIdleCycleMs >= this.#idleEvalMs
  }

  get flushDue(): boolean {
    return this.#dirty.size > 0 && this.#o.clock.now() - this.#lastFlushMs >= (this.#o.flushMs ?? DEFAULT_DRIFT_FLUSH_MS)
  }

  /** Fold every queued observation (single flight: concurrent callers share one pass). */
  drain(): Promise<void> {
    this.#running ??= this.#drainAll()
      .catch((err: unknown) => this.#o.onError?.(err))
      .finally(() => {
        this.#running = null
      })
    return this.#running
  }

  async #drainAll(): Promise<void> {
    // A lockdown or event that could not be written last time goes first: losing it would lose a lock.
    for (const p of this.#retry.splice(0)) await this.#record(p)
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, SLICE)
      const seen = new Map<string, CompiledSettings | null>()
      for (const obs of batch) {
        let compiled = seen.get(obs.tenantId)
        if (compiled === undefined) {
          compiled = await this.#settingsOf(obs.tenantId)
          seen.set(obs.tenantId, compiled)
        }
        if (compiled === null) continue
        await this.#fold(obs, compiled)
      }
      // Let requests run between slices: the worker shares the event loop with them.
      if (this.#queue.length > 0) await new Promise((resolve) => setImmediate(resolve))
    }
    if (this.idleDue) await this.#idleSlice()
    if (this.flushDue) await this.flush()
  }

  /**
   * One slice of the idle cycle: at most IDLE_SLICE agents examined; those quiet for the interval
   * and with something to change are re-evaluated at the clock's now (engine.reevaluate).
   */
  async #idleSlice(): Promise<void> {
    const nowMs = this.#o.clock.now()
    if (this.#idleKeys === null) {
      this.#lastIdleCycleMs = nowMs
      this.#idleKeys = [...this.#agents.keys()]
      this.#idleAt = 0
    }
    const keys = this.#idleKeys
    const end = Math.min(keys.length, this.#idleAt + IDLE_SLICE)
    const seen = new Map<string, CompiledSettings | null>()
    for (; this.#idleAt < end; this.#idleAt++) {
      const key = keys[this.#idleAt]!
      const state = this.#agents.get(key)
      if (state === undefined || nowMs - Math.max(state.lastSeenMs, state.lastIdleEvalMs) < this.#idleEvalMs || !needsIdleEvaluation(state, nowMs)) continue
      const tenantId = key.slice(0, key.indexOf('\u0000'))
      let compiled = seen.get(tenantId)
      if (compiled === undefined) {
        compiled = await this.#settingsOf(tenantId)
        seen.set(tenantId, compiled)
      }
      if (compiled === null) continue
      const result = reevaluate(state, nowMs, compiled)
      this.counters.evaluations.idle++
      this.#dirty.add(key)
      for (const event of result.events) await this.#emit(tenantId as TenantId, event, compiled.settings)
    }
    if (this.#idleAt >= keys.length) this.#idleKeys = null
  }

  /** Registers the drift metrics in the process's /metrics registry (once per registry). */
  registerMetrics(registry: Registry): void {
    registerDriftMetrics(registry, this)
  }

  /** Agents per level now (learning apart), for the /metrics gauge. */
  levelCounts(): { learning: number; normal: number; watch: number; alert: number; critical: number } {
    const out = { learning: 0, normal: 0, watch: 0, alert: 0, critical: 0 }
    const names = ['normal', 'watch', 'alert', 'critical'] as const
    for (const state of this.#agents.values()) {
      if (state.phase === 'learning') out.learning++
      else out[names[state.level] ?? 'normal']++
    }
    return out
  }

  async #fold(obs: DriftObservation, c: CompiledSettings): Promise<void> {
    const key = keyOf(obs.tenantId, obs.agentId)
    const known = this.#agents.get(key) ?? null
    if (known === null && (this.#byTenant.get(obs.tenantId)?.size ?? 0) >= this.#maxAgents) {
      this.untracked++
      return
    }
    if (known?.phase === 'active') this.counters.evaluations.request++
    const result = observe(known, obs, c, key)
    this.#put(obs.tenantId, obs.agentId, result.state)
    this.#dirty.add(key)
    this.processed++
    for (const event of result.events) await this.#emit(obs.tenantId as TenantId, event, c.settings)
  }

  async #emit(tenantId: TenantId, event: DriftEventDraft, settings: DriftSettings): Promise<void> {
    let lock: AgentLockRecord | null = null
    if (event.action === 'lockdown') {
      const codes = event.reasons.slice(0, 3).map((r) => r.code).join(', ')
      lock = { tenantId, agentId: event.agentId, locked: true, actor: 'drift:auto', reason: `drift event ${event.eventId}: score ${event.score} (${codes})`, changedAtMs: event.atMs }
    }
    await this.#record({ tenantId, event, body: eventView(event, settings.mode), lock, attempts: 0 })
  }

  async #record(p: PendingEmit): Promise<void> {
    try {
      await this.#o.sink.record(p.tenantId, p.event, p.body, p.lock)
      this.counters.events++
      if (p.lock !== null) this.counters.lockdowns++
    } catch (err) {
      this.#o.onError?.(err)
      p.attempts++
      if (p.attempts < MAX_ATTEMPTS && this.#retry.length < MAX_RETRY) this.#retry.push(p)
    }
  }

  /** Write every dirty state in one batched write. */
  async flush(): Promise<void> {
    this.#lastFlushMs = this.#o.clock.now()
    if (this.#dirty.size === 0) return
    const ops = []
    for (const key of this.#dirty) {
      const state = this.#agents.get(key)!
      const tenantId = key.slice(0, key.indexOf('\u0000')) as TenantId
      ops.push({ op: 'drift_state_put' as const, record: { tenantId, agentId: state.agentId, stateJson: JSON.stringify(state), updatedAtMs: this.#lastFlushMs } })
    }
    this.#dirty.clear()
    try {
      await this.#o.store.write(ops)
    } catch (err) {
      this.#o.onError?.(err)
    }
  }

  async settingsFor(tenantId: TenantId): Promise<DriftSettings> {
    return driftSettingsFrom(await this.#o.store.getSettings(tenantId, 'drift'))
  }

  /** null = drift is off for the tenant. Recompiled only when the stored text changes. */
  async #settingsOf(tenantId: string): Promise<CompiledSettings | null> {
    const raw = await this.#o.store.getSettings(tenantId as TenantId, 'drift')
    let cached = this.#settings.get(tenantId)
    if (cached === undefined || cached.raw !== raw) {
      cached = { raw, compiled: compileSettings(driftSettingsFrom(raw)) }
      this.#settings.set(tenantId, cached)
    }
    return cached.compiled.settings.enabled ? cached.compiled : null
  }

  #put(tenantId: string, agentId: string, state: AgentState): void {
    const key = keyOf(tenantId, agentId)
    this.#agents.set(key, state)
    let set = this.#byTenant.get(tenantId)
    if (set === undefined) this.#byTenant.set(tenantId, (set = new Set()))
    set.add(key)
  }

  /** The tenant's agent states (read-only views for the summary). */
  agentsOf(tenantId: TenantId): AgentState[] {
    const keys = this.#byTenant.get(tenantId)
    return keys === undefined ? [] : [...keys].map((k) => this.#agents.get(k)!)
  }

  agent(tenantId: TenantId, agentId: string): AgentState | null {
    return this.#agents.get(keyOf(tenantId, agentId)) ?? null
  }

  /** A human released the agent: normal, fresh window, probation; `rebaseline` restarts learning. */
  async released(tenantId: TenantId, agentId: string, rebaseline: boolean, nowMs: number): Promise<void> {
    await this.drain()
    const key = keyOf(tenantId, agentId)
    const state = this.#agents.get(key)
    if (state === undefined) return
    if (rebaseline) resetToLearning(state, nowMs)
    else afterRelease(state, nowMs)
    this.#dirty.add(key)
    await this.flush()
  }
}

function tickDrift(monitor: DriftMonitor): void {
  if (monitor.queued > 0 || monitor.flushDue || monitor.pendingEvents > 0 || monitor.idleDue) void monitor.drain()
}
