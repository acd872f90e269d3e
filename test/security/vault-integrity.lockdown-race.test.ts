// Issue 16 §5 "lockdown wins", under concurrency (SQLite, and PostgreSQL with LEDGIX_TEST_STORE=postgres):
// clearances racing a lock on both paths (fast path and fastify) — every token any of them got is
// refused at the burn once the lock answered, nothing is approved after it; and concurrent locks and
// releases of one agent leave one state that the stored lock, the lock history and the next decision
// agree on. Never a 5xx. (A guard: these held before this suite was written.)
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { call, registerPayments, startHarness, type Harness, type JsonResponse } from '../vault/helpers.ts'

function clearance(h: Harness, agent: string, path: string): Promise<JsonResponse> {
  return call(h.base, 'POST', path, { key: h.keys.agent, body: { tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: agent } })
}

test('clearances racing a lock: after the lock answers, no token burns and nothing is approved; never 5xx', { timeout: 120_000 }, async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  for (let round = 0; round < 4; round++) {
    const agent = `race-${round}`
    const path = round % 2 === 0 ? '/request-clearance' : '/request-clearance/'
    const before = Array.from({ length: 12 }, () => clearance(h, agent, path))
    const lock = call(h.base, 'POST', `/drift/agents/${agent}/lockdown`, { key: h.keys.admin, body: { reason: 'race' } })
    const racing = Array.from({ length: 12 }, () => clearance(h, agent, path))
    assert.equal((await lock).status, 200)
    const after = await Promise.all(Array.from({ length: 4 }, () => clearance(h, agent, path)))
    for (const a of after) assert.equal(a.body.status, 'denied', `round ${round}: decided after the lock answered: ${a.text}`)
    const all = [...(await Promise.all(before)), ...(await Promise.all(racing)), ...after]
    for (const a of all) {
      assert.equal(a.status, 200, a.text)
      if (typeof a.body.token !== 'string') continue
      const burn = await call(h.base, 'POST', round % 2 === 0 ? '/consume-token' : '/consume-token/', { key: h.keys.agent, body: { token: a.body.token } })
      assert.equal(burn.status, 403, `round ${round}: a token burned while its agent is locked: ${burn.text}`)
      assert.equal(burn.body.code, 'agent_locked')
    }
  }
})

test('concurrent locks and releases of one agent: one final state, agreed by the lock row, its history and the next decision', { timeout: 120_000 }, async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const store = h.server.context.store
  for (let round = 0; round < 4; round++) {
    const agent = `flip-${round}`
    const ops = Array.from({ length: 16 }, (_, i) =>
      call(h.base, i % 2 === 0 ? 'POST' : 'DELETE', `/drift/agents/${agent}/lockdown`, { key: h.keys.admin, body: { reason: `op ${i}` } }),
    )
    for (const r of await Promise.all(ops)) assert.ok(r.status === 200 || r.status === 404, r.text)
    const lock = await store.getAgentLock(h.tenantA, agent)
    assert.ok(lock !== null)
    const history = await store.listAgentLockEvents(h.tenantA, agent)
    assert.equal(history.at(-1)!.locked, lock.locked, 'the last history entry is the stored state')
    const next = await clearance(h, agent, '/request-clearance')
    assert.equal(next.body.status, lock.locked ? 'denied' : 'approved', `locked=${lock.locked}: ${next.text}`)
  }
})
