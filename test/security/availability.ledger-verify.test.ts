// Issue 16, class 6 (expensive requests): GET /ledger/verify is a whole-ledger pass of signature
// checks. It yields between pages, but any key could start as many passes as it liked, each sharing
// the one event loop with every tenant's clearances. Concurrent requests for one tenant and mode now
// join one pass, and distinct passes beyond MAX_CONCURRENT_VERIFICATIONS get 503 overloaded with
// Retry-After. The pass is held open by a stand-in so the test controls when it ends.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_CONCURRENT_VERIFICATIONS } from '../../src/vault/routes/ledger.ts'
import { call, startHarness } from '../vault/helpers.ts'

test('concurrent /ledger/verify: one pass per tenant and mode, joined; beyond the Vault-wide cap 503 + Retry-After', { timeout: 60_000 }, async (t) => {
  const h = await startHarness(t)
  const service = h.server.context.ledgerService
  const real = service.verify.bind(service)
  let started = 0
  let release: () => void = () => undefined
  const gate = new Promise<void>((r) => (release = r))
  service.verify = async (...args: Parameters<typeof service.verify>) => {
    started++
    await gate
    return real(...args)
  }
  try {
    await scenario(h, () => started, release)
  } finally {
    // Before the harness closes the server, which waits for requests in flight.
    release()
  }
})

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
}

async function scenario(h: Awaited<ReturnType<typeof startHarness>>, startedCount: () => number, release: () => void): Promise<void> {
  assert.equal(MAX_CONCURRENT_VERIFICATIONS, 2)
  // Five concurrent full passes for tenant A, and one tree pass for A: two distinct passes.
  const aFull = Array.from({ length: 5 }, () => call(h.base, 'GET', '/ledger/verify', { key: h.keys.agent }))
  const aTree = call(h.base, 'GET', '/ledger/verify?mode=tree', { key: h.keys.agent })
  // Both passes start, and the five full requests never start a third (a short settle after the second).
  await until(() => startedCount() >= 2, 5000)
  await new Promise((r) => setTimeout(r, 200))
  assert.equal(startedCount(), 2, 'the five full requests share one pass')
  // A third distinct pass (tenant B) is refused at once while two run.
  const b = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.bAgent })
  assert.equal(b.status, 503)
  assert.equal(b.body.code, 'overloaded')
  assert.equal(b.headers['retry-after'], '5')
  // Other requests are served meanwhile.
  assert.equal((await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'u', tool_args: {} } })).status, 200)
  release()
  for (const res of await Promise.all([...aFull, aTree])) {
    assert.equal(res.status, 200)
    assert.equal(res.body.intact, true)
  }
  assert.equal(startedCount(), 2)
  // Once they end, B's pass runs.
  const again = await call(h.base, 'GET', '/ledger/verify', { key: h.keys.bAgent })
  assert.equal(again.status, 200)
  assert.equal(startedCount(), 3)
}
