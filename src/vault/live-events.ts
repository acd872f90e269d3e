// The live event hub behind GET /events/stream: open streams per tenant, a bounded history per tenant
// for Last-Event-ID resume, one shared heartbeat timer, per-stream output bounds (a reader that does
// not drain is cut, never buffered without limit) and caps on streams. Events enter through a
// pluggable source: in-process for SQLite (one Vault process), PostgreSQL LISTEN/NOTIFY when several
// replicas share the database, so an event raised on one reaches streams held by another.
import type { ServerResponse } from 'node:http'
import { Counter, Gauge } from 'prom-client'
import type { Registry } from 'prom-client'
import type { Clock, TenantId } from '../core/index.ts'
import { frameOf } from './live-event-body.ts'
import type { LiveEvent } from './live-event-body.ts'
import { InProcessSource } from './live-event-sources.ts'
import type { LiveEventSource } from './live-event-sources.ts'

export interface LiveEventLimits {
  /** A `: heartbeat` comment this often keeps proxies and the browser from timing the stream out. */
  heartbeatMs: number
  /** The reconnect delay suggested to EventSource (`retry:`). */
  retryMs: number
  /** Events kept per tenant for Last-Event-ID resume … */
  historyMax: number
  /** … and for at most this long. */
  historyTtlMs: number
  /** Bytes of history across all tenants; over it, the least recently active tenant's history goes. */
  historyMaxBytes: number
  /** Bytes one stream may have queued unsent before it is cut (a reader that does not drain). */
  maxBufferedBytes: number
  /** Open streams per tenant (so one tenant cannot take every slot); more answer 429. */
  maxStreamsPerTenant: number
  /** Open streams per process; more answer 503. */
  maxStreams: number
}

/** Defaults, each with its reason. */
export const DEFAULT_LIVE_EVENT_LIMITS: LiveEventLimits = {
  // Most proxies cut an idle response after 30–60 s; 15 s stays well inside that.
  heartbeatMs: 15_000,
  retryMs: 3_000,
  // A dashboard that was offline for a few minutes catches up; longer gaps refetch (event: reset).
  historyMax: 1_000,
  historyTtlMs: 10 * 60_000,
  // Bodies are at most 7000 bytes (most are ~400): tens of thousands of events across tenants.
  historyMaxBytes: 64 * 1024 * 1024,
  // 256 KiB is hundreds of events: a live reader never gets near it, a stuck one is cut quickly.
  maxBufferedBytes: 256 * 1024,
  maxStreamsPerTenant: 100,
  maxStreams: 2_000,
}

interface Kept {
  event: LiveEvent
  frame: string
  bytes: number
  atMs: number
}

/** A tenant's recent events, oldest first, bounded by count and age. */
class TenantHistory {
  readonly kept: Kept[] = []
  readonly ids = new Set<string>()
  /** Bytes of the kept frames. */
  bytes = 0
  /** Drops what is over the count or too old; returns the bytes freed. */
  prune(nowMs: number, limits: LiveEventLimits): number {
    const kept = this.kept
    let drop = Math.max(0, kept.length - limits.historyMax)
    while (drop < kept.length && kept[drop]!.atMs < nowMs - limits.historyTtlMs) drop++
    if (drop === 0) return 0
    let freed = 0
    for (const k of kept.splice(0, drop)) {
      this.ids.delete(k.event.id)
      freed += k.bytes
    }
    this.bytes -= freed
    return freed
  }
}

/** One open stream (fields assigned in the constructor: one shape). */
class LiveStream {
  readonly tenantId: TenantId
  readonly res: ServerResponse
  closed = false
  constructor(tenantId: TenantId, res: ServerResponse) {
    this.tenantId = tenantId
    this.res = res
  }
}

export type Admission = { ok: true } | { ok: false; code: 'rate_limited' | 'overloaded'; detail: string; retryAfterSeconds: number }

const HEARTBEAT = ': heartbeat\n\n'

export class LiveEventHub {
  readonly limits: LiveEventLimits
  readonly #source: LiveEventSource
  readonly #clock: Clock
  readonly #streams = new Map<TenantId, Set<LiveStream>>()
  /** Per tenant, least recently active first (a delivery moves its tenant to the end). */
  readonly #history = new Map<TenantId, TenantHistory>()
  #historyBytes = 0
  #open = 0
  #closing = false
  #heartbeat: NodeJS.Timeout | null = null
  #idle: NodeJS.Timeout | null = null
  /**
   * Whether publishing does anything: the one check the decision path makes. Always true for a
   * shared source (another replica may hold streams); for the in-process source true while a stream
   * is open and for historyTtlMs after the last one closed (so a reconnect can still resume).
   */
  #active: boolean
  readonly #registries = new WeakSet<Registry>()
  /** Streams cut because they did not drain (for /metrics). */
  slowDisconnects = 0

  constructor(options: { source?: LiveEventSource; clock: Clock; limits?: Partial<LiveEventLimits> }) {
    this.#source = options.source ?? new InProcessSource()
    this.#clock = options.clock
    this.limits = { ...DEFAULT_LIVE_EVENT_LIMITS, ...options.limits }
    this.#active = !this.#source.local
  }

  get active(): boolean {
    return this.#active
  }

  /** Open streams now. */
  get connections(): number {
    return this.#open
  }

  async start(): Promise<void> {
    await this.#source.start(deliverTo.bind(null, this), resetAll.bind(null, this))
  }

  /** Publish an event whose change has committed. Never throws; costs one check when inactive. */
  publish(event: LiveEvent | null): void {
    if (!this.#active || event === null || this.#closing) return
    try {
      this.#source.publish(event)
    } catch {
      // A live update is best effort: the store holds the truth and the page can refetch.
    }
  }

  /** Whether a new stream of `tenantId` may open now. */
  admit(tenantId: TenantId): Admission {
    if (this.#closing) return { ok: false, code: 'overloaded', detail: 'the Vault is shutting down; reconnect to another replica', retryAfterSeconds: 1 }
    if (this.#open >= this.limits.maxStreams) {
      return { ok: false, code: 'overloaded', detail: `this Vault holds its maximum of ${this.limits.maxStreams} event streams`, retryAfterSeconds: 5 }
    }
    const mine = this.#streams.get(tenantId)?.size ?? 0
    if (mine >= this.limits.maxStreamsPerTenant) {
      return { ok: false, code: 'rate_limited', detail: `this tenant already has ${mine} open event streams (the maximum); close one first`, retryAfterSeconds: 5 }
    }
    return { ok: true }
  }

  /**
   * Start streaming to `res` (headers already sent): the retry hint, then either the events after
   * `lastEventId` from the history, or `event: reset` when that id is unknown or too old, then live
   * events. Registration and replay happen in one synchronous step, so nothing is missed or repeated.
   */
  attach(tenantId: TenantId, res: ServerResponse, lastEventId: string | null): void {
    const stream = new LiveStream(tenantId, res)
    let set = this.#streams.get(tenantId)
    if (set === undefined) {
      set = new Set()
      this.#streams.set(tenantId, set)
    }
    set.add(stream)
    this.#open++
    this.#active = true
    if (this.#idle !== null) {
      clearTimeout(this.#idle)
      this.#idle = null
    }
    if (this.#heartbeat === null) {
      this.#heartbeat = setInterval(beat, this.limits.heartbeatMs, this)
      this.#heartbeat.unref()
    }
    res.on('close', detachOnClose.bind(null, this, stream))
    let text = `retry: ${this.limits.retryMs}\n\n`
    if (lastEventId !== null) text += this.#replay(tenantId, lastEventId)
    this.write(stream, text)
  }

  #replay(tenantId: TenantId, lastEventId: string): string {
    const history = this.#history.get(tenantId)
    if (history !== undefined) this.#historyBytes -= history.prune(this.#clock.now(), this.limits)
    const kept = history?.kept ?? []
    const at = history !== undefined && history.ids.has(lastEventId) ? kept.findIndex((k) => k.event.id === lastEventId) : -1
    if (at < 0) {
      // The id of the reset is the newest event we hold, so the next reconnect resumes from there
      // (after the client refetched); an empty id clears the browser's last event id.
      const newest = kept[kept.length - 1]?.event.id ?? ''
      return `id: ${newest}\nevent: reset\ndata: {"reason":"last_event_id_unknown"}\n\n`
    }
    let text = ''
    for (let i = at + 1; i < kept.length; i++) text += kept[i]!.frame
    return text
  }

  /** Record `event` and send it to the tenant's streams (the source's delivery callback). */
  deliver(event: LiveEvent): void {
    if (this.#closing) return
    let history = this.#history.get(event.tenantId)
    // A source may hand over an event twice (a reconnecting LISTEN); streams see it once.
    if (history !== undefined && history.ids.has(event.id)) return
    if (history === undefined) history = new TenantHistory()
    else this.#history.delete(event.tenantId)
    this.#history.set(event.tenantId, history)
    const nowMs = this.#clock.now()
    const frame = frameOf(event)
    const bytes = Buffer.byteLength(frame)
    history.kept.push({ event, frame, bytes, atMs: nowMs })
    history.ids.add(event.id)
    history.bytes += bytes
    this.#historyBytes += bytes - history.prune(nowMs, this.limits)
    this.#evictOverBudget(event.tenantId)
    const set = this.#streams.get(event.tenantId)
    if (set === undefined) return
    for (const stream of set) this.write(stream, frame)
  }

  /**
   * Over the byte budget: forget whole histories of the least recently active tenants (their
   * resumes answer reset), never the one just delivered to.
   */
  #evictOverBudget(current: TenantId): void {
    for (const [tenantId, history] of this.#history) {
      if (this.#historyBytes <= this.limits.historyMaxBytes || tenantId === current) return
      this.#history.delete(tenantId)
      this.#historyBytes -= history.bytes
    }
  }

  /** Events may have been missed: forget the history and tell every stream to refetch. */
  reset(reason: string): void {
    this.#history.clear()
    this.#historyBytes = 0
    const frame = `id: \nevent: reset\ndata: ${JSON.stringify({ reason })}\n\n`
    for (const set of this.#streams.values()) for (const stream of set) this.write(stream, frame)
  }

  write(stream: LiveStream, text: string): void {
    if (stream.closed) return
    const res = stream.res
    res.write(text)
    // writableLength counts what the response and its socket hold unsent: a reader that does not
    // drain makes it grow; past the bound the stream is cut (the client reconnects and resumes).
    if (res.writableLength > this.limits.maxBufferedBytes) {
      this.slowDisconnects++
      this.#detach(stream)
      res.destroy()
    }
  }

  heartbeat(): void {
    for (const set of this.#streams.values()) for (const stream of set) this.write(stream, HEARTBEAT)
  }

  detach(stream: LiveStream): void {
    this.#detach(stream)
  }

  #detach(stream: LiveStream): void {
    if (stream.closed) return
    stream.closed = true
    const set = this.#streams.get(stream.tenantId)
    set?.delete(stream)
    if (set !== undefined && set.size === 0) this.#streams.delete(stream.tenantId)
    this.#open--
    if (this.#open > 0) return
    if (this.#heartbeat !== null) clearInterval(this.#heartbeat)
    this.#heartbeat = null
    if (this.#source.local && !this.#closing) {
      this.#idle = setTimeout(goIdle, this.limits.historyTtlMs, this)
      this.#idle.unref()
    }
  }

  /** No stream for historyTtlMs: stop recording (publishing is one check again) and forget history. */
  idle(): void {
    this.#idle = null
    if (this.#open > 0 || !this.#source.local) return
    this.#active = false
    this.#history.clear()
    this.#historyBytes = 0
  }

  /** End every stream (server shutdown must not wait on them) and stop the source. */
  async close(): Promise<void> {
    if (this.#closing) return
    this.#closing = true
    this.#active = false
    if (this.#idle !== null) clearTimeout(this.#idle)
    this.#idle = null
    for (const set of [...this.#streams.values()]) {
      for (const stream of [...set]) {
        this.#detach(stream)
        stream.res.end()
      }
    }
    await this.#source.close()
  }

  /** `ledgix_sse_connections` and `ledgix_sse_slow_disconnects_total` in the /metrics registry. */
  registerMetrics(registry: Registry): void {
    // Once per registry (a second registration of the same names would throw).
    if (this.#registries.has(registry)) return
    this.#registries.add(registry)
    const hub = this
    new Gauge({
      name: 'ledgix_sse_connections',
      help: 'Open GET /events/stream connections (Server-Sent Events) on this Vault.',
      registers: [registry],
      collect() {
        this.set(hub.connections)
      },
    })
    new Counter({
      name: 'ledgix_sse_slow_disconnects_total',
      help: 'Event streams cut because the client did not read what was sent (more than the per-stream buffer queued).',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(hub.slowDisconnects)
      },
    })
  }
}

function deliverTo(hub: LiveEventHub, event: LiveEvent): void {
  hub.deliver(event)
}

function resetAll(hub: LiveEventHub): void {
  hub.reset('events_may_be_missed')
}

function beat(hub: LiveEventHub): void {
  hub.heartbeat()
}

function goIdle(hub: LiveEventHub): void {
  hub.idle()
}

function detachOnClose(hub: LiveEventHub, stream: LiveStream): void {
  hub.detach(stream)
}
