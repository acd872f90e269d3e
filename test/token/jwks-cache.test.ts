// JwksCache with a counting fake fetch (the gateway suite covers the HTTP path): startup, single-flight
// kid-miss refetch, cooldown against kid floods, stale-if-error up to max_stale then fail closed,
// recovery, max-age clamping, and the stale-write guard. Timer loops use t.mock.timers (setTimeout only).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { ManualClock } from '../../src/core/index.ts'
import type { JwksFetchResult, PublicJwk } from '../../src/core/index.ts'
import { JwksCache, mintToken, verifyToken } from '../../src/token/index.ts'
import type { JwksCacheOptions, JwksEvent } from '../../src/token/index.ts'
import { NOW_MS, SDK_POLICY, ed25519Pair, jwksConfig } from './support.ts'

const K1 = ed25519Pair()
const K2 = ed25519Pair()
const K3 = ed25519Pair()
const jwk = (kid: string, x: string): PublicJwk => ({ kty: 'OKP', crv: 'Ed25519', kid, x, use: 'sig', alg: 'EdDSA' })
const doc = (...keys: PublicJwk[]): JwksFetchResult => ({ jwks: { keys }, maxAgeSeconds: null })

/** Lets pending promise callbacks run (setImmediate is not mocked). */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A fetch whose answers the test scripts; counts calls. */
class FakeSource {
  calls = 0
  next: () => Promise<JwksFetchResult> = async () => doc(jwk('k1', K1.x))
  readonly fetch = (_signal: AbortSignal): Promise<JwksFetchResult> => {
    this.calls++
    return this.next()
  }
}

function makeCache(source: FakeSource, clock: ManualClock, overrides: Partial<JwksCacheOptions> = {}) {
  const events: JwksEvent[] = []
  const cache = new JwksCache({
    fetch: source.fetch,
    config: jwksConfig(),
    clock,
    onEvent: (e) => events.push(e),
    random: () => 0,
    ...overrides,
  })
  return { cache, events }
}

test('startup: not ready before the first success, ready with keys after', async (t) => {
  const source = new FakeSource()
  let release!: () => void
  source.next = () => new Promise((resolve) => (release = () => resolve(doc(jwk('k1', K1.x), jwk('k2', K2.x)))))
  const { cache, events } = makeCache(source, new ManualClock(NOW_MS))
  t.after(() => cache.close())
  const started = cache.start()
  assert.equal(cache.isReady(), false)
  assert.equal(cache.getKey('k1'), undefined)
  assert.deepEqual(cache.status(), { ready: false, keyCount: 0, lastSuccessMs: null, ageMs: null, lastError: null })
  release()
  await started
  assert.equal(cache.isReady(), true)
  assert.ok(cache.getKey('k1')?.equals(K1.publicKey))
  assert.equal(cache.status().keyCount, 2)
  assert.equal(source.calls, 1)
  assert.deepEqual(events, [{ type: 'refresh', trigger: 'startup', ok: true, keyCount: 2, rejected: 0 }])
})

test('startup failure retries with bounded backoff until the source answers', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const source = new FakeSource()
  source.next = async () => {
    throw new Error('connect ECONNREFUSED 127.0.0.1:8000')
  }
  const { cache, events } = makeCache(source, new ManualClock(NOW_MS), { retryBaseMs: 1_000, retryMaxMs: 4_000 })
  t.after(() => cache.close())
  let resolved = false
  void cache.start().then(() => (resolved = true))
  await flush()
  assert.equal(source.calls, 1)
  // Backoff 1 s, 2 s, 4 s, then capped at 4 s.
  for (const delayMs of [1_000, 2_000, 4_000, 4_000]) {
    t.mock.timers.tick(delayMs - 1)
    await flush()
    const before: number = source.calls
    t.mock.timers.tick(1)
    await flush()
    assert.equal(source.calls, before + 1, `retry after ${delayMs} ms`)
  }
  assert.equal(resolved, false)
  assert.equal(cache.status().lastError, 'Error: connect ECONNREFUSED 127.0.0.1:8000')
  source.next = async () => doc(jwk('k1', K1.x))
  t.mock.timers.tick(4_000)
  await flush()
  assert.equal(resolved, true)
  assert.equal(cache.isReady(), true)
  const triggers = events.filter((e) => e.type === 'refresh').map((e) => (e.type === 'refresh' ? `${e.trigger}:${e.ok}` : ''))
  assert.deepEqual(triggers, ['startup:false', 'startup:false', 'startup:false', 'startup:false', 'startup:false', 'startup:true'])
})

test('1,000 concurrent refreshForKid calls for one unknown kid → exactly one fetch', async (t) => {
  const source = new FakeSource()
  const { cache } = makeCache(source, new ManualClock(NOW_MS))
  t.after(() => cache.close())
  await cache.start()
  let release!: () => void
  source.next = () => new Promise((resolve) => (release = () => resolve(doc(jwk('k1', K1.x), jwk('k2', K2.x)))))
  const waiting = Array.from({ length: 1000 }, () => cache.refreshForKid('k2'))
  await flush()
  assert.equal(source.calls, 2)
  release()
  const keys = await Promise.all(waiting)
  assert.equal(source.calls, 2)
  assert.ok(keys.every((k) => k !== undefined && k.equals(K2.publicKey)))
})

test('a kid that appears mid-run is accepted on its first request', async (t) => {
  const source = new FakeSource()
  const { cache, events } = makeCache(source, new ManualClock(NOW_MS))
  t.after(() => cache.close())
  await cache.start()
  source.next = async () => doc(jwk('k1', K1.x), jwk('k2', K2.x))
  const token = mintToken({ iss: 'alcv-vault', sub: 'clearance', aud: 'ledgix-sdk', exp: 4070908800, jti: 'j' }, { kid: 'k2', privateKey: K2.privateKey })
  // The gateway's path: sync lookup misses, one refetch, verify.
  assert.equal(cache.getKey('k2'), undefined)
  const key = await cache.refreshForKid('k2')
  assert.ok(key !== undefined)
  assert.ok(verifyToken(token, (kid) => cache.getKey(kid), SDK_POLICY, NOW_MS).ok)
  assert.equal(source.calls, 2)
  assert.deepEqual(events.at(-1), { type: 'refresh', trigger: 'kid_miss', ok: true, keyCount: 2, rejected: 0 })
})

test('a flood of random kids costs at most one fetch per cooldown', async (t) => {
  const clock = new ManualClock(NOW_MS)
  const source = new FakeSource()
  const { cache, events } = makeCache(source, clock)
  t.after(() => cache.close())
  await cache.start()
  const cooldownMs = jwksConfig().kidMissCooldownMs
  for (let window = 0; window < 3; window++) {
    const results = []
    for (let i = 0; i < 200; i++) {
      results.push(await cache.refreshForKid(randomUUID()))
      clock.advance(Math.floor(cooldownMs / 250))
    }
    assert.ok(results.every((k) => k === undefined))
    assert.equal(source.calls, 1 + (window + 1), `window ${window}`)
    clock.advance(cooldownMs)
  }
  assert.equal(events.filter((e) => e.type === 'kid_miss_suppressed').length, 3 * 199)
  // Known kids keep working throughout.
  assert.ok(cache.getKey('k1') !== undefined)
})

test('fetch failures: keys kept within max_stale, fail closed beyond it, recovery when the source returns', async (t) => {
  const clock = new ManualClock(NOW_MS)
  const source = new FakeSource()
  const config = jwksConfig({ maxStaleMs: 600_000, kidMissCooldownMs: 1_000 })
  const { cache, events } = makeCache(source, clock, { config })
  t.after(() => cache.close())
  await cache.start()
  source.next = async () => {
    throw new Error('HTTP 503')
  }
  clock.advance(599_000)
  assert.equal(await cache.refreshForKid('rotated'), undefined)
  assert.ok(cache.getKey('k1') !== undefined, 'still serving the last good set')
  assert.equal(cache.isReady(), true)
  assert.deepEqual(events.slice(-2), [
    { type: 'refresh', trigger: 'kid_miss', ok: false, error: 'Error: HTTP 503' },
    { type: 'stale', ageMs: 599_000 },
  ])

  clock.advance(1_001)
  assert.equal(cache.getKey('k1'), undefined, 'beyond max_stale every kid fails closed')
  assert.equal(cache.isReady(), false)
  assert.equal(await cache.refreshForKid('k1'), undefined)
  assert.equal(events.filter((e) => e.type === 'expired').length, 1)
  assert.equal(cache.status().ready, false)
  assert.equal(cache.status().keyCount, 1)

  source.next = async () => doc(jwk('k1', K1.x))
  clock.advance(1_000)
  assert.ok((await cache.refreshForKid('k1')) !== undefined)
  assert.equal(cache.isReady(), true)
  assert.equal(cache.status().lastError, null)
  assert.equal(cache.status().ageMs, 0)
})

test('refresh timing: Cache-Control max-age clamped to [min, max], else refresh_interval', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const source = new FakeSource()
  const answers: Array<number | null> = [1, 100_000, null, 120]
  source.next = async () => ({ ...doc(jwk('k1', K1.x)), maxAgeSeconds: answers.shift() ?? null })
  const config = jwksConfig({ minRefreshMs: 30_000, maxRefreshMs: 3_600_000, refreshIntervalMs: 300_000, maxStaleMs: 86_400_000 })
  const { cache } = makeCache(source, new ManualClock(NOW_MS), { config })
  t.after(() => cache.close())
  await cache.start()
  // max-age 1 s → 30 s; 100000 s → 1 h; absent → 5 min; 120 s → 120 s.
  for (const expectedMs of [30_000, 3_600_000, 300_000, 120_000]) {
    const before: number = source.calls
    t.mock.timers.tick(expectedMs - 1)
    await flush()
    assert.equal(source.calls, before, `not before ${expectedMs} ms`)
    t.mock.timers.tick(1)
    await flush()
    assert.equal(source.calls, before + 1, `at ${expectedMs} ms`)
  }
})

test('a refresh is due by half of max_stale at the latest, leaving time to retry', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const source = new FakeSource()
  source.next = async () => ({ ...doc(jwk('k1', K1.x)), maxAgeSeconds: 3600 })
  const config = jwksConfig({ maxRefreshMs: 3_600_000, maxStaleMs: 3_600_000 })
  const { cache } = makeCache(source, new ManualClock(NOW_MS), { config })
  t.after(() => cache.close())
  await cache.start()
  t.mock.timers.tick(1_800_000)
  await flush()
  assert.equal(source.calls, 2)
})

test('a slow older fetch never overwrites a newer result', async (t) => {
  const clock = new ManualClock(NOW_MS)
  const source = new FakeSource()
  const config = jwksConfig({ fetchTimeoutMs: 30, kidMissCooldownMs: 1_000 })
  const { cache, events } = makeCache(source, clock, { config })
  // AbortSignal.timeout's timer is unref'd (as it should be); hold the loop open while we wait on it.
  const keepAlive = setInterval(() => {}, 1_000)
  t.after(() => {
    clearInterval(keepAlive)
    cache.close()
  })
  await cache.start()
  // Fetch #2 ignores its abort signal and answers only when told, with the old key set.
  let answerLate!: () => void
  source.next = () => new Promise((resolve) => (answerLate = () => resolve(doc(jwk('k1', K1.x)))))
  assert.equal(await cache.refreshForKid('k3'), undefined)
  assert.match(cache.status().lastError ?? '', /timed out after 30 ms/)
  // Fetch #3 brings the rotated set.
  source.next = async () => doc(jwk('k3', K3.x))
  clock.advance(1_000)
  assert.ok((await cache.refreshForKid('k3')) !== undefined)
  answerLate()
  await flush()
  await flush()
  assert.equal(source.calls, 3)
  assert.ok(cache.getKey('k3') !== undefined, 'the newer set stays')
  assert.equal(cache.getKey('k1'), undefined)
  assert.equal(events.filter((e) => e.type === 'refresh' && e.ok).length, 2)
})

test('no failure escapes: sync throws, junk documents, empty key sets and throwing listeners', async (t) => {
  const clock = new ManualClock(NOW_MS)
  const source = new FakeSource()
  const config = jwksConfig({ kidMissCooldownMs: 1 })
  const { cache } = makeCache(source, clock, {
    config,
    onEvent: () => {
      throw new Error('listener bug')
    },
  })
  t.after(() => cache.close())
  await cache.start()
  const answers: Array<() => Promise<JwksFetchResult>> = [
    () => {
      throw new TypeError('sync throw')
    },
    async () => null as unknown as JwksFetchResult,
    async () => ({ jwks: 'junk' }) as unknown as JwksFetchResult,
    async () => doc({ kty: 'OKP', crv: 'Ed25519', x: 'AQ' }),
    async () => Promise.reject('a string, not an Error'),
  ]
  for (const answer of answers) {
    source.next = answer
    clock.advance(10)
    assert.equal(await cache.refreshForKid('nope'), undefined)
    assert.ok(cache.getKey('k1') !== undefined, 'last good set kept')
    assert.notEqual(cache.status().lastError, null)
  }
  assert.match(cache.status().lastError!, /a string, not an Error/)
  assert.equal(source.calls, 1 + answers.length)
})

test('an empty usable key set reports the first rejection reason', async (t) => {
  const source = new FakeSource()
  const { cache, events } = makeCache(source, new ManualClock(NOW_MS), { config: jwksConfig({ kidMissCooldownMs: 0 }) })
  t.after(() => cache.close())
  await cache.start()
  source.next = async () => doc({ kty: 'OKP', crv: 'Ed25519', x: K2.x })
  await cache.refreshForKid('x')
  assert.deepEqual(events.at(-2), {
    type: 'refresh',
    trigger: 'kid_miss',
    ok: false,
    error: 'JWKS has no usable Ed25519 key (1 rejected; first problem: JWK has no kid; every key must carry a non-empty string kid)',
  })
})

test('close() stops the refresh timer and settles a pending start()', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] })
  const source = new FakeSource()
  source.next = async () => {
    throw new Error('down')
  }
  const { cache } = makeCache(source, new ManualClock(NOW_MS))
  const started = cache.start()
  await flush()
  cache.close()
  await started
  assert.equal(cache.isReady(), false)
  t.mock.timers.tick(3_600_000)
  await flush()
  assert.equal(source.calls, 1)
  assert.equal(await cache.refreshForKid('k1'), undefined)
  assert.equal(source.calls, 1)
})
