// Issue 16, availability: a bound route burns only after the body has arrived, so before this one
// token could hold 150 incomplete 1 MiB bodies. Now one body per jti is in flight (409 token_in_use
// at once for the rest), and buffered bytes are bounded per route and per worker (503 overloaded +
// Retry-After, before a byte is read). No refusal burns a token. Real sockets, in-process gateway so
// the budget's counters can be read; bench-like RSS check with a spawned gateway in bind-args.flood.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toolArgsHash } from '../../src/token/index.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { eventually } from '../helpers/serve-process.ts'
import { mint } from '../helpers/tokens.ts'
import { HeldBody } from './held-body.ts'

const MiB = 1024 * 1024

/** A JSON body of exactly `size` bytes and the hash of what it reads as. */
function paddedArgs(size: number): { body: Buffer; hash: string } {
  const pad = 'x'.repeat(size - '{"pad":""}'.length)
  return { body: Buffer.from(`{"pad":"${pad}"}`), hash: toolArgsHash({ pad }) }
}

function hold(h: Harness, path: string, token: string, declared: number | 'chunked', first: Buffer): HeldBody {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  if (declared === 'chunked') headers['transfer-encoding'] = 'chunked'
  else headers['content-length'] = String(declared)
  return new HeldBody(h.url, path, headers, first)
}

const bound = (name: string, prefix: string, up: string, maxInflightBodyBytes: number) =>
  testRoute(name, up, { bindArgs: 'exact', maxBodyBytes: MiB, maxInflightBodyBytes, match: { host: null, pathPrefix: prefix, methods: null } })

test('150 incomplete 1 MiB bodies on one token: the first is read, 149 get 409 token_in_use at once; other routes answer; one burn', async (t) => {
  const h = await startHarness({
    routes: (up) => [
      bound('refunds', '/v1', up, 32 * MiB),
      testRoute('health', up, { auth: 'none', tools: [], match: { host: null, pathPrefix: '/health', methods: null } }),
    ],
  })
  const held: HeldBody[] = []
  t.after(async () => {
    await Promise.all(held.map((b) => b.destroy()))
    await h.close()
  })
  const { body, hash } = paddedArgs(MiB)
  const token = mint(h.signer, { claims: { tool_args_hash: hash } })
  const first = hold(h, '/v1/refunds', token, MiB, body.subarray(0, 512 * 1024))
  held.push(first)
  await eventually(() => h.gateway.bodies.jtisInFlight === 1)
  for (let i = 0; i < 149; i++) held.push(hold(h, '/v1/refunds', token, MiB, body.subarray(0, 64 * 1024)))
  const flood = held.slice(1)
  await Promise.all(flood.map((b) => b.answered(10_000)))
  const codes = await Promise.all(flood.map((b) => b.code()))
  assert.deepEqual(new Set(flood.map((b) => b.status)), new Set([409]))
  assert.deepEqual(new Set(codes), new Set(['token_in_use']))
  assert.equal(first.status, 0, 'the first body is still arriving: no answer yet')
  // Only the first body holds anything: its declared length, reserved before it was read.
  assert.equal(h.gateway.bodies.totalBytes, MiB)
  assert.equal(h.gateway.bodies.routeBytes('refunds'), MiB)
  const metrics = await send(`${h.adminUrl}/metrics`)
  assert.match(metrics.text, new RegExp(`^ledgix_gateway_inflight_body_bytes ${MiB}$`, 'm'))
  assert.equal(h.vault.consumeCalls, 0, 'nothing burned yet')
  assert.equal(h.upstream.hits, 0)
  // The gateway still serves: a passthrough route, and another token on the same bound route.
  assert.equal((await send(`${h.url}/health`)).status, 200)
  const small = { amount: 5 }
  const other = await send(`${h.url}/v1/refunds`, {
    method: 'POST',
    headers: { ...bearer(mint(h.signer, { claims: { tool_args_hash: toolArgsHash(small) } })), 'content-type': 'application/json' },
    body: JSON.stringify(small),
  })
  assert.equal(other.status, 200, other.text)
  // The held body completes: it is checked, burned once, forwarded.
  first.send(body.subarray(512 * 1024))
  await first.answered(10_000)
  assert.equal(first.status, 200, first.response.slice(0, 300))
  assert.equal(h.vault.consumeCalls, 2, 'one burn for the held token, one for the other')
  await eventually(() => h.gateway.bodies.totalBytes === 0 && h.gateway.bodies.jtisInFlight === 0)
  // The token is spent now: a replay is refused before its body is read.
  const replay = hold(h, '/v1/refunds', token, MiB, Buffer.alloc(0))
  held.push(replay)
  assert.equal(await replay.code(), 'token_replayed')
  assert.equal(h.gateway.bodies.totalBytes, 0)
})

test('per-route budget: beyond max_inflight_body → 503 overloaded + Retry-After at once, nothing burned; freed when the clients leave', async (t) => {
  const h = await startHarness({ routes: (up) => [bound('refunds', '/v1', up, 4 * MiB)] })
  const held: HeldBody[] = []
  t.after(async () => {
    await Promise.all(held.map((b) => b.destroy()))
    await h.close()
  })
  const { body, hash } = paddedArgs(MiB)
  for (let i = 0; i < 4; i++) held.push(hold(h, '/v1/refunds', mint(h.signer, { claims: { tool_args_hash: hash } }), MiB, body.subarray(0, 1024)))
  await eventually(() => h.gateway.bodies.routeBytes('refunds') === 4 * MiB)
  const refused: HeldBody[] = []
  for (let i = 0; i < 6; i++) refused.push(hold(h, '/v1/refunds', mint(h.signer, { claims: { tool_args_hash: hash } }), MiB, body.subarray(0, 1024)))
  held.push(...refused)
  assert.deepEqual(new Set(await Promise.all(refused.map((b) => b.code()))), new Set(['overloaded']))
  for (const b of refused) {
    assert.equal(b.status, 503)
    assert.equal(b.header('retry-after'), '1')
  }
  assert.equal(h.gateway.bodies.routeBytes('refunds'), 4 * MiB)
  assert.equal(h.vault.consumeCalls, 0)
  // Clients that leave give their reservation back.
  await Promise.all(held.splice(0, 4).map((b) => b.destroy()))
  await eventually(() => h.gateway.bodies.totalBytes === 0 && h.gateway.bodies.jtisInFlight === 0)
  const ok = await send(`${h.url}/v1/refunds`, {
    method: 'POST',
    headers: { ...bearer(mint(h.signer, { claims: { tool_args_hash: hash } })), 'content-type': 'application/json' },
    body,
  })
  assert.equal(ok.status, 200, ok.text)
  assert.equal(h.vault.consumeCalls, 1)
})

test('worker budget: gateway.max_inflight_body bounds all routes together', async (t) => {
  const h = await startHarness({
    routes: (up) => [bound('a', '/a', up, 2 * MiB), bound('b', '/b', up, 2 * MiB)],
    config: { gateway: { maxInflightBodyBytes: 3 * MiB } },
  })
  const held: HeldBody[] = []
  t.after(async () => {
    await Promise.all(held.map((b) => b.destroy()))
    await h.close()
  })
  const { body, hash } = paddedArgs(MiB)
  const start = (path: string) => {
    const b = hold(h, path, mint(h.signer, { claims: { tool_args_hash: hash } }), MiB, body.subarray(0, 1024))
    held.push(b)
    return b
  }
  start('/a/x')
  start('/a/x')
  start('/b/x')
  await eventually(() => h.gateway.bodies.totalBytes === 3 * MiB)
  // Route b has room for one more MiB, the worker does not.
  assert.equal(await start('/b/x').code(), 'overloaded')
  assert.equal(h.gateway.bodies.routeBytes('b'), MiB)
  assert.equal(h.vault.consumeCalls, 0)
})

test('chunked bodies are counted as they arrive: crossing the budget mid-body → 503 overloaded, reservation given back', async (t) => {
  const h = await startHarness({ routes: (up) => [bound('refunds', '/v1', up, MiB)] })
  const held: HeldBody[] = []
  t.after(async () => {
    await Promise.all(held.map((b) => b.destroy()))
    await h.close()
  })
  const { body, hash } = paddedArgs(MiB)
  const token = () => mint(h.signer, { claims: { tool_args_hash: hash } })
  held.push(hold(h, '/v1/refunds', token(), 600 * 1024, body.subarray(0, 1024)))
  await eventually(() => h.gateway.bodies.totalBytes === 600 * 1024)
  const chunked = hold(h, '/v1/refunds', token(), 'chunked', Buffer.alloc(0))
  held.push(chunked)
  const chunk = body.subarray(0, 100 * 1024)
  for (let i = 0; i < 6 && chunked.status === 0; i++) {
    chunked.send(Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]))
    await chunked.answered(200)
  }
  assert.equal(await chunked.code(), 'overloaded')
  await eventually(() => h.gateway.bodies.totalBytes === 600 * 1024, 2000)
  assert.equal(h.vault.consumeCalls, 0)
})
