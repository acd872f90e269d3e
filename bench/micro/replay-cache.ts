// Issue 16 §7: the gateway's local replay cache on lru-cache (src/gateway/replay-cache.ts) against the
// insertion-ordered Map it replaced (kept below, verbatim, only as the baseline), on a hot set of
// 100k jtis at capacity. Three workloads, the calls the auth pipeline makes:
//   burn  — a fresh token: has() miss, markPending(), markBurned() (at capacity: one eviction each)
//   hit   — a replay: has() of a random jti in the set
//   miss  — has() of a jti never seen (every fresh token's first check)
// plus the heap each holds when empty and when full. Rounds alternate the two implementations;
// the median of each is reported, in operations per CPU-second. Prints one JSON line per round, then a summary line.
// Usage: node --expose-gc --import tsx bench/micro/replay-cache.ts [--runs 5] [--ops 500000] [--burn-ops 50000] [--size 100000]
//        (pin it: taskset -c 1 …)
import { randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { ReplayCache } from '../../src/gateway/replay-cache.ts'

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, ops: { type: 'string', default: '500000' }, 'burn-ops': { type: 'string', default: '50000' }, size: { type: 'string', default: '100000' } },
})
const RUNS = Number(values.runs)
const OPS = Number(values.ops)
/** Fewer for the burn round: the Map baseline does a few thousand per second at capacity. */
const BURN_OPS = Math.min(OPS, Number(values['burn-ops']))
const SIZE = Number(values.size)

/** The pre-lru-cache implementation (commit 4c7020b), copied only to measure against. */
class MapReplayCache {
  readonly #entries = new Map<string, number>()
  readonly #max: number
  constructor(maxEntries: number) {
    this.#max = Math.max(1, maxEntries)
  }
  has(jti: string, nowMs: number): boolean {
    const entry = this.#entries.get(jti)
    if (entry === undefined) return false
    if (Math.abs(entry) > nowMs) return true
    this.#entries.delete(jti)
    return false
  }
  markPending(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, -mapExpiry(expSeconds, nowMs), nowMs)
  }
  markBurned(jti: string, expSeconds: number | null, nowMs: number): void {
    this.#set(jti, mapExpiry(expSeconds, nowMs), nowMs)
  }
  #set(jti: string, entry: number, nowMs: number): void {
    const entries = this.#entries
    entries.delete(jti)
    entries.set(jti, entry)
    let retired = 0
    for (const oldest of entries.keys()) {
      if (entries.size > this.#max) entries.delete(oldest)
      else if (retired < 2 && Math.abs(entries.get(oldest)!) <= nowMs) {
        entries.delete(oldest)
        retired++
      } else break
    }
  }
}

function mapExpiry(expSeconds: number | null, nowMs: number): number {
  if (expSeconds === null) return nowMs + 86_400_000
  return Math.max(nowMs + 1, expSeconds * 1000 + 60_000)
}

interface Cache {
  has(jti: string, nowMs: number): boolean
  markPending(jti: string, expSeconds: number | null, nowMs: number): void
  markBurned(jti: string, expSeconds: number | null, nowMs: number): void
}

const IMPLS: Record<string, (max: number) => Cache> = { map: (max) => new MapReplayCache(max), 'lru-cache': (max) => new ReplayCache(max) }

// Pregenerated ids: the loops measure the cache, not randomUUID.
const hot = Array.from({ length: SIZE }, () => randomUUID())
const fresh = Array.from({ length: OPS }, () => randomUUID())
const picks = Uint32Array.from({ length: OPS }, () => Math.floor(Math.random() * SIZE))
const NOW_MS = Date.now()
/** Tokens live 300 s (the Vault's default TTL); every entry stays live through a round. */
const EXP_SECONDS = Math.floor(NOW_MS / 1000) + 300

function filled(make: (max: number) => Cache): Cache {
  const cache = make(SIZE)
  for (const jti of hot) cache.markBurned(jti, EXP_SECONDS, NOW_MS)
  return cache
}

/**
 * Operations per second of this process's CPU time, not wall time: on the shared 2-core machine the
 * wall clock mostly measures who else ran (load 18 during the 2026-12-07 runs); CPU time moves far less.
 */
function rate(ops: number, started: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(started)
  return Math.round(ops / ((used.user + used.system) / 1e6))
}

function burnRound(cache: Cache): number {
  let sink = 0
  const started = process.cpuUsage()
  for (let i = 0; i < BURN_OPS; i++) {
    const jti = fresh[i]!
    const nowMs = NOW_MS + (i >>> 10)
    if (cache.has(jti, nowMs)) sink++
    cache.markPending(jti, EXP_SECONDS, nowMs)
    cache.markBurned(jti, EXP_SECONDS, nowMs)
  }
  if (sink !== 0) throw new Error('a fresh jti was reported burned')
  return rate(BURN_OPS, started)
}

/**
 * Below capacity, entries expiring in insertion order: tokens live 60 s (exp = now, + the 60 s
 * margin) while the clock moves 2.4 ms per token, so ~25k of the 100k slots are live and every
 * insert finds expired entries at the old end (the Map retires two of them, lru-cache evicts the
 * least recent at capacity).
 */
function expiringRound(cache: Cache): number {
  let sink = 0
  const started = process.cpuUsage()
  for (let i = 0; i < BURN_OPS; i++) {
    const jti = fresh[i]!
    const nowMs = NOW_MS + Math.floor(i * 2.4)
    const exp = Math.floor(nowMs / 1000)
    if (cache.has(jti, nowMs)) sink++
    cache.markPending(jti, exp, nowMs)
    cache.markBurned(jti, exp, nowMs)
  }
  if (sink !== 0) throw new Error('a fresh jti was reported burned')
  return rate(BURN_OPS, started)
}

function hitRound(cache: Cache): number {
  let hits = 0
  const started = process.cpuUsage()
  for (let i = 0; i < OPS; i++) if (cache.has(hot[picks[i]!]!, NOW_MS)) hits++
  if (hits !== OPS) throw new Error(`only ${hits} of ${OPS} replays were found`)
  return rate(OPS, started)
}

function missRound(cache: Cache): number {
  let hits = 0
  const started = process.cpuUsage()
  for (let i = 0; i < OPS; i++) if (cache.has(fresh[i]!, NOW_MS)) hits++
  if (hits !== 0) throw new Error('an unseen jti was reported burned')
  return rate(OPS, started)
}

const gc = (globalThis as { gc?: () => void }).gc

function heapBytes(): number {
  gc?.()
  gc?.()
  return process.memoryUsage().heapUsed
}

function footprint(make: (max: number) => Cache): { emptyBytes: number; fullBytes: number } {
  const base = heapBytes()
  const cache = make(SIZE)
  const empty = heapBytes() - base
  for (const jti of hot) cache.markBurned(jti, EXP_SECONDS, NOW_MS)
  const full = heapBytes() - base
  if (!cache.has(hot[0]!, NOW_MS)) throw new Error('unreachable: keeps the cache alive past the reading')
  return { emptyBytes: empty, fullBytes: full }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const results: Record<string, Record<string, number[]>> = {}
for (let run = 0; run < RUNS; run++) {
  // Alternate the order each round so neither always runs on a warmer heap.
  const order = run % 2 === 0 ? Object.keys(IMPLS) : Object.keys(IMPLS).reverse()
  for (const name of order) {
    const make = IMPLS[name]!
    const round = { burn: burnRound(filled(make)), expiring: expiringRound(make(SIZE)), hit: hitRound(filled(make)), miss: missRound(filled(make)) }
    const r = (results[name] ??= { burn: [], expiring: [], hit: [], miss: [] })
    for (const [k, v] of Object.entries(round)) r[k]!.push(v)
    process.stdout.write(JSON.stringify({ run, impl: name, ops_per_s: round }) + '\n')
  }
}

const summary: Record<string, unknown> = { size: SIZE, ops: OPS, burn_ops: BURN_OPS, runs: RUNS, gc: gc !== undefined }
for (const [name, r] of Object.entries(results)) {
  summary[name] = { burn: median(r['burn']!), expiring: median(r['expiring']!), hit: median(r['hit']!), miss: median(r['miss']!), ...footprint(IMPLS[name]!) }
}
const lru = summary['lru-cache'] as Record<string, number>
const map = summary['map'] as Record<string, number>
const ratio = (k: string): number => +(lru[k]! / map[k]!).toFixed(3)
summary['lru_vs_map'] = { burn: ratio('burn'), expiring: ratio('expiring'), hit: ratio('hit'), miss: ratio('miss') }
process.stdout.write(JSON.stringify({ summary }) + '\n')
