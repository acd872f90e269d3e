// The dashboard's pure logic, without a browser: argument escaping (invisible and bidi characters),
// timer zones and announcement points, the queue sort and live merge, the keyboard map, diff rows,
// the hash router and boot parsing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { argsOneLiner, escapeInvisible, renderArgs } from '../../dashboard/src/lib/args.ts'
import { canDecide, parseBoot } from '../../dashboard/src/lib/boot.ts'
import { diffRows, diffSummary, policyDiffLines } from '../../dashboard/src/lib/diff.ts'
import { actionFor, moveSelection } from '../../dashboard/src/lib/keys.ts'
import type { KeyInput } from '../../dashboard/src/lib/keys.ts'
import { eventRequestId, mergeArrivals, neighbourAfterRemoval, sortByExpiry, whyText } from '../../dashboard/src/lib/queue.ts'
import type { ReviewItem } from '../../dashboard/src/lib/queue.ts'
import { hrefOf, parseHash } from '../../dashboard/src/lib/router.ts'
import { announcementBetween, formatRemaining, remainingMs, zoneOf } from '../../dashboard/src/lib/timer.ts'

test('args: bidi overrides, zero-width and control characters are shown escaped and flagged; nothing is truncated', () => {
  const args = { to: 'alice\u202Eevil\u202C', memo: 'a\u200Bb', bell: 'x\u0007', note: 'plain', long: 'z'.repeat(10_000) }
  const r = renderArgs(args)
  assert.ok(r.text.includes('alice\\u202Eevil\\u202C'), r.text.slice(0, 200))
  assert.ok(r.text.includes('a\\u200Bb'))
  assert.ok(r.text.includes('x\\u0007'), 'JSON already escapes C0 controls; they stay visible')
  assert.ok(r.text.includes('z'.repeat(10_000)), 'the full value')
  assert.ok(!/[\u200B\u202C\u202E]/.test(r.text), 'no raw invisible character survives')
  assert.deepEqual([...r.flags].sort(), ['U+200B zero-width space', 'U+202C pop directional formatting', 'U+202E right-to-left override'])
  const flagged = r.segments.filter((s) => s.flagged).map((s) => s.text)
  assert.deepEqual(flagged, ['\\u202C', '\\u202E', '\\u200B'].sort((a, b) => r.text.indexOf(a) - r.text.indexOf(b)))
  assert.equal(r.segments.map((s) => s.text).join(''), r.text)
})

test('args: keys are sorted (canonical order), tag characters and repeats are counted, clean args have no flags', () => {
  assert.equal(argsOneLiner({ b: 1, a: { d: 2, c: 3 } }), '{"a":{"c":3,"d":2},"b":1}')
  const tags = escapeInvisible('hi\u{E0041}\u{E0041}\u2066x\u2069')
  assert.ok(tags.text.includes('\\u{E0041}\\u{E0041}'))
  assert.ok(tags.flags.includes('U+E0041 tag character ×2'), tags.flags.join('|'))
  assert.ok(tags.flags.includes('U+2066 left-to-right isolate'))
  assert.deepEqual(renderArgs({ amount: 19.99, currency: 'usd', name: 'Zoë' }).flags, [])
})

test('timer: zones, mm:ss, and one announcement at 60 s, 10 s and expiry', () => {
  assert.equal(zoneOf(null), 'none')
  assert.equal(zoneOf(61_000), 'ok')
  assert.equal(zoneOf(60_000), 'soon')
  assert.equal(zoneOf(10_000), 'critical')
  assert.equal(zoneOf(0), 'expired')
  assert.equal(formatRemaining(65_000), '01:05')
  assert.equal(formatRemaining(200), '00:01')
  assert.equal(formatRemaining(3_723_000), '1:02:03')
  assert.equal(formatRemaining(0), 'expired')
  const said: string[] = []
  let before = 75_000
  for (let left = 74_000; left >= -2_000; left -= 1_000) {
    const text = announcementBetween(before, left, 'refund')
    if (text !== null) said.push(text)
    before = left
  }
  assert.deepEqual(said, ['60 seconds left to review refund', '10 seconds left to review refund', 'Review of refund expired'])
  assert.equal(announcementBetween(70_000, -5_000, 'x'), 'Review of x expired', 'a sleeping tab says only the latest')
  assert.equal(remainingMs('2026-01-01T00:01:00.000Z', Date.parse('2026-01-01T00:00:00.000Z')), 60_000)
  assert.equal(remainingMs(null, 0), null)
})

function item(id: string, expires: string | null, created = '2026-01-01T00:00:00.000Z', extra: Partial<ReviewItem> = {}): ReviewItem {
  return {
    request_id: id, status: 'pending_review', tool_name: 'refund', tool_args: {}, tool_args_hash: 'h', agent_id: 'a', reason: 'r', reason_code: null,
    confidence: null, matched_rule_ids: [], reviewer: null, review_reason: null, created_at: created, review_expires_at: expires, ...extra,
  }
}

test('queue: expires soonest first, no-expiry last, ties by age then id; arrivals merge in order without duplicates', () => {
  const list = sortByExpiry([
    item('c', null),
    item('b', '2026-01-01T00:05:00.000Z'),
    item('a2', '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:02.000Z'),
    item('a1', '2026-01-01T00:01:00.000Z', '2026-01-01T00:00:01.000Z'),
  ])
  assert.deepEqual(list.map((i) => i.request_id), ['a1', 'a2', 'b', 'c'])
  const merged = mergeArrivals(list, [item('b', '2026-01-01T00:05:00.000Z'), item('n', '2026-01-01T00:03:00.000Z'), item('x', null, undefined, { status: 'approved' })])
  assert.equal(merged.added, 1)
  assert.deepEqual(merged.items.map((i) => i.request_id), ['a1', 'a2', 'n', 'b', 'c'])
  assert.equal(neighbourAfterRemoval(merged.items, 'n'), 'b')
  assert.equal(neighbourAfterRemoval(merged.items, 'c'), 'b')
  assert.equal(neighbourAfterRemoval([item('only', null)], 'only'), null)
})

test('queue: why-it-is-here from the server, else from the item', () => {
  assert.equal(whyText(item('1', null, undefined, { why: { kind: 'confidence', confidence: 0.72, threshold: 0.9 } })), 'confidence 0.72 < threshold 0.90')
  assert.equal(whyText(item('1', null, undefined, { why: { kind: 'rule', rule: 'big-refund' } })), 'matched rule big-refund')
  assert.equal(whyText(item('1', null, undefined, { matched_rule_ids: ['r1', 'r2'] })), 'matched rule r1, r2')
})

test('queue: live events name their request at the top level or inside review; anything else is ignored', () => {
  assert.equal(eventRequestId('{"request_id":"r1"}'), 'r1')
  assert.equal(eventRequestId('{"type":"review.decided","review":{"request_id":"r2"}}'), 'r2')
  for (const bad of ['', 'not json', 'null', '"r"', '{"review":null}', '{"request_id":7}']) assert.equal(eventRequestId(bad), null, bad)
})

const key = (k: string, over: Partial<KeyInput> = {}): KeyInput => ({ key: k, ctrlKey: false, metaKey: false, altKey: false, inTextField: false, ...over })

test('keyboard: j/k/Enter/a/d/?/Ctrl+Enter map to actions; nothing fires while typing or when turned off', () => {
  assert.equal(actionFor(key('j'), true), 'next')
  assert.equal(actionFor(key('k'), true), 'previous')
  assert.equal(actionFor(key('Enter'), true), 'open')
  assert.equal(actionFor(key('a'), true), 'choose-approve')
  assert.equal(actionFor(key('d'), true), 'choose-deny')
  assert.equal(actionFor(key('?'), true), 'help')
  assert.equal(actionFor(key('Enter', { ctrlKey: true }), true), 'submit')
  assert.equal(actionFor(key('Enter', { ctrlKey: true, inTextField: true }), true), 'submit', 'submitting from the reason field')
  for (const k of ['j', 'k', 'a', 'd', '?', 'Enter']) assert.equal(actionFor(key(k, { inTextField: true }), true), null, `${k} while typing`)
  for (const k of ['j', 'a', 'Enter']) assert.equal(actionFor(key(k), false), null, `${k} when turned off`)
  assert.equal(actionFor(key('Enter', { ctrlKey: true }), false), null)
  assert.equal(actionFor(key('a', { ctrlKey: true }), true), null, 'Ctrl+A stays select-all')
  assert.equal(actionFor(key('x'), true), null)
  assert.equal(moveSelection(['a', 'b', 'c'], null, 1), 'a')
  assert.equal(moveSelection(['a', 'b', 'c'], 'b', 1), 'c')
  assert.equal(moveSelection(['a', 'b', 'c'], 'c', 1), 'c')
  assert.equal(moveSelection(['a', 'b', 'c'], 'a', -1), 'a')
  assert.equal(moveSelection([], 'a', 1), null)
})

test('diff: rows with sign, escaped values (an invisible change is visible) and a summary', () => {
  const rows = diffRows([
    { path: 'amount', kind: 'changed', before: 10, after: 1000 },
    { path: 'to', kind: 'changed', before: 'bob', after: 'bob\u200B' },
    { path: 'memo', kind: 'added', after: 'x' },
    { path: 'ref', kind: 'removed', before: 'y' },
  ])
  assert.deepEqual(rows.map((r) => [r.path, r.sign, r.before, r.after]), [
    ['amount', '~', '10', '1000'],
    ['to', '~', '"bob"', '"bob\\u200B"'],
    ['memo', '+', null, '"x"'],
    ['ref', '-', '"y"', null],
  ])
  assert.deepEqual(rows[1]!.flags, ['U+200B zero-width space'])
  assert.equal(diffSummary(null), 'No earlier approved call of this tool by this agent to compare with.')
  assert.equal(diffSummary([]), 'Identical to the last approved call.')
  assert.equal(diffSummary([{ path: 'a', kind: 'changed' }, { path: 'b', kind: 'changed' }, { path: 'c', kind: 'added' }]), 'Differs from the last approved call: 2 changed, 1 added.')
})

test('policy diff: server hunks as unified-diff lines, hidden characters escaped', () => {
  const lines = policyDiffLines([
    { from_start: 3, from_lines: 2, to_start: 3, to_lines: 2, lines: [{ op: ' ', text: 'rules:' }, { op: '-', text: '  effect: allow' }, { op: '+', text: '  effect: review\u200B' }] },
  ])
  assert.deepEqual(lines, [
    { kind: 'hunk', text: '@@ -3,2 +3,2 @@' },
    { kind: 'keep', text: ' rules:' },
    { kind: 'del', text: '-  effect: allow' },
    { kind: 'add', text: '+  effect: review\\u200B' },
  ])
  assert.deepEqual(policyDiffLines([]), [])
})

test('router and boot: hash routes round-trip; a broken boot block means signed out', () => {
  assert.deepEqual(parseHash('#/reviews/abc%2F1'), { page: 'reviews', id: 'abc/1' })
  assert.deepEqual(parseHash(''), { page: 'overview', id: null })
  assert.deepEqual(parseHash('#/nope'), { page: 'overview', id: null })
  assert.deepEqual(parseHash('#/ledger/%E0%A4%A'), { page: 'ledger', id: null })
  assert.deepEqual(parseHash(hrefOf('reviews', 'r 1')), { page: 'reviews', id: 'r 1' })
  const boot = parseBoot('{"user":{"user_id":"u","email":"a@b","role":"reviewer","tenant_id":"t"},"csrf_token":"c","setup_required":false,"server_time":"2026-01-01T00:00:10.000Z"}', Date.parse('2026-01-01T00:00:00.000Z'))
  assert.equal(boot.user?.role, 'reviewer')
  assert.equal(boot.clockOffsetMs, 10_000)
  assert.equal(canDecide(boot.user?.role), true)
  assert.equal(canDecide('viewer'), false)
  assert.equal(parseBoot('{not json', 0).user, null)
  assert.equal(parseBoot('{"user":{"user_id":"u","email":"e","role":"root"}}', 0).user, null, 'an unknown role is not a session')
  assert.equal(parseBoot(null, 0).setupRequired, false)
})
