// PostgreSQL group commit: a deadlock met by a caller batched behind others is broken by rolling
// back the whole transaction and re-running each caller alone (group-commit.ts BatchDeadlock).
// Before, the caller replayed inside its savepoint while the earlier callers' locks stayed held, met
// the same cycle three times and failed: a manual lockdown (drift seq lock, then the agent's
// exclusive lock) against a batch whose clearance held the agent's shared lock and then waited for
// the drift seq lock answered 500 (found by test/security/vault-integrity.lockdown-race.test.ts).
import { randomUUID } from 'node:crypto'
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { openPostgresStore, type WriteOp } from '../../src/store/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { PG_TEST_URL, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'

const T = 'tenant-dl' as TenantId

function driftEvent(agentId: string, atMs: number): WriteOp {
  return { op: 'drift_event_insert', event: { tenantId: T, eventId: `dre_${randomUUID()}`, agentId, type: 'drift.level_changed', level: 'watch', score: 50, atMs, bodyJson: '{}' } }
}

test('lock-order cycles across batched callers: every write is answered (committed or refused), none fails', { skip: skipWithoutPostgres, timeout: 120_000 }, async (t) => {
  // Two batches of two in flight at once, one caller at a time (no multi-row runs): P = [drift event,
  // lock agent], Q = [mint for that agent, drift event]. P takes the drift seq lock then waits for the
  // agent's exclusive lock; Q holds the agent's shared lock and waits for the drift seq lock.
  const store = await openPostgresStore({ url: PG_TEST_URL, schema: testSchema(), maxBatch: 2, maxInFlight: 2, multiRow: false, max: 4 })
  t.after(() => store.close())
  let refusedMints = 0
  for (let round = 0; round < 25; round++) {
    const agentId = `agent-${round}`
    const now = Date.now()
    const writes = [
      store.write([driftEvent(`other-${round}`, now)]),
      store.write([{ op: 'agent_lock_put', lock: { tenantId: T, agentId, locked: true, actor: 'test', reason: 'race', changedAtMs: now } }]),
      store.write([{ op: 'token_insert', token: { jti: randomUUID(), tenantId: T, requestId: randomUUID(), agentId, toolName: 't', kid: 'k', expSeconds: Math.floor(now / 1000) + 60, mintedAtMs: now } }]),
      store.write([driftEvent(agentId, now)]),
    ]
    const results = await Promise.allSettled(writes)
    for (const [i, r] of results.entries()) {
      assert.equal(r.status, 'fulfilled', `round ${round}, write ${i}: ${r.status === 'rejected' ? String((r.reason as Error).message) : ''}`)
      if (r.status !== 'fulfilled') continue
      if (i === 2 && !r.value.ok) {
        assert.equal(r.value.refusal?.code, 'agent_locked')
        refusedMints++
      } else assert.equal(r.value.ok, true, `round ${round}, write ${i}`)
    }
    const lock = await store.getAgentLock(T, agentId)
    assert.equal(lock?.locked, true)
  }
  t.diagnostic(`mints refused for the lock: ${refusedMints} of 25`)
})
