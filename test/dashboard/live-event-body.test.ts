// The live event body: the flat review/lock facts of the notification event (same id), no arguments,
// and bounded however hostile the free text, so the envelope always fits a PostgreSQL NOTIFY payload.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TenantId } from '../../src/core/index.ts'
import { agentLockEvent, reviewEvent } from '../../src/notify/index.ts'
import { MAX_NOTIFY_PAYLOAD_BYTES } from '../../src/store/postgres/live-channel.ts'
import { MAX_LIVE_DATA_BYTES, frameOf, liveEventFromJson, liveEventOf } from '../../src/vault/live-event-body.ts'
import { clearanceFixture } from '../contract/store.contract.ts'

const T = 'x'.repeat(128) as TenantId
// Characters JSON escapes to six bytes each: the worst case for the body's size.
const HOSTILE = '\u0001'.repeat(4_000)

test('a decided review with maximal hostile text stays within the bound; the envelope fits NOTIFY', () => {
  const c = {
    ...clearanceFixture(T, 'r'.repeat(128), 1_700_000_000_000, 'approved'),
    toolName: '\u0002'.repeat(128),
    agentId: '\u0003'.repeat(128),
    toolArgs: { big: 'y'.repeat(100_000) },
    reviewState: 'approved' as const,
    reviewer: HOSTILE,
    reviewReason: HOSTILE,
    decisionChannel: 'dashboard' as const,
  }
  const notify = reviewEvent('review.decided', c, 1_700_000_000_500, null)
  const live = liveEventOf(notify)!
  assert.equal(live.id, notify.id, 'the same id as the notification event')
  assert.ok(Buffer.byteLength(live.data) <= MAX_LIVE_DATA_BYTES, `${Buffer.byteLength(live.data)} bytes`)
  assert.ok(Buffer.byteLength(JSON.stringify(live)) <= MAX_NOTIFY_PAYLOAD_BYTES)
  const body = JSON.parse(live.data)
  assert.equal(body.tool_args, undefined)
  assert.equal(body.decision.channel, 'dashboard')
  assert.ok(body.decision.decided_by.length <= 200)
  assert.deepEqual(liveEventFromJson(JSON.stringify(live)), live, 'the envelope reads back')
  assert.ok(!live.data.includes('\n') && frameOf(live).endsWith('\n\n'))
})

test('agent lock events carry agent, actor and reason; other notification types are not streamed', () => {
  const live = liveEventOf(agentLockEvent({ tenantId: T, agentId: 'bot', locked: true, actor: 'ana', reason: 'odd', changedAtMs: 1 }, 1))!
  assert.equal(live.type, 'agent.locked')
  assert.deepEqual(JSON.parse(live.data).agent_id, 'bot')
  const expiring = reviewEvent('review.expiring', clearanceFixture(T, 'r', 1), 1, null)
  assert.equal(liveEventOf(expiring), null)
  assert.equal(liveEventFromJson('{"id":"a","type":"report.ready","tenantId":"t","data":"{}"}'), null)
  assert.equal(liveEventFromJson('not json'), null)
})
