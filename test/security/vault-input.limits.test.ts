// Issue 16 §5: Vault bodies that canonical JSON, CBOR or the ledger cannot carry — non-finite numbers
// (1e309), 10,000-level nesting, lone surrogates (\ud800 escapes), huge keys, more values than one
// request may cost (MAX_JSON_VALUES: 1 MiB of small numbers stalled every tenant for seconds) — and
// bodies that are not UTF-8 are refused on EVERY JSON entry point (the fast path, its fastify twin and
// each other route) with a 400 problem+json naming the limit, never a 500; nothing is stored or ledgered.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ADMIN_KEY, call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'
import { assertProblem400, deepArray, deepObject, sendRaw, snapshot, withBytes } from './vault-input-helpers.ts'

interface EntryPoint {
  name: string
  method: string
  path: string
  headers: (h: Harness) => Record<string, string>
  /** The body with `value` (raw JSON text) placed where this route reads caller data. */
  body: (value: string) => string
  /** Where the detail must say the bad value sits. */
  at: RegExp
}

const agent = (h: Harness): Record<string, string> => ({ 'x-vault-api-key': h.keys.agent })
const admin = (h: Harness): Record<string, string> => ({ 'x-vault-api-key': h.keys.admin })

const ENTRY_POINTS: EntryPoint[] = [
  { name: 'request-clearance tool_args (fast path)', method: 'POST', path: '/request-clearance', headers: agent, body: (v) => `{"tool_name":"create_stripe_payment","tool_args":{"amount":5000,"v":${v}},"agent_id":"a"}`, at: /^body\.tool_args\.v/ },
  { name: 'request-clearance context (fast path)', method: 'POST', path: '/request-clearance', headers: agent, body: (v) => `{"tool_name":"create_stripe_payment","tool_args":{"amount":5000},"context":{"v":${v}}}`, at: /^body\.context\.v/ },
  { name: 'request-clearance tool_args (fastify)', method: 'POST', path: '/request-clearance/', headers: agent, body: (v) => `{"tool_name":"create_stripe_payment","tool_args":{"amount":5000,"v":${v}}}`, at: /^body\.tool_args\.v/ },
  { name: 'request-clearance context (fastify)', method: 'POST', path: '//request-clearance', headers: agent, body: (v) => `{"tool_name":"create_stripe_payment","context":{"v":${v}}}`, at: /^body\.context\.v/ },
  { name: 'mint-token tool_args', method: 'POST', path: '/mint-token', headers: agent, body: (v) => `{"tool_name":"t","original_request_id":"r","tool_args":{"v":${v}}}`, at: /^body\.tool_args\.v/ },
  { name: 'consume-token', method: 'POST', path: '/consume-token', headers: agent, body: (v) => `{"token":"a.b.c","v":${v}}`, at: /^body\.v/ },
  { name: 'register-policy', method: 'POST', path: '/register-policy', headers: admin, body: (v) => `{"policy_id":"p","rules":[${v}]}`, at: /^body\.rules\[0\]/ },
  { name: 'review decision', method: 'POST', path: '/reviews/0190a2b4-0000-7000-8000-000000000000/decision', headers: agent, body: (v) => `{"approved":false,"v":${v}}`, at: /^body\.v/ },
  { name: 'review settings', method: 'PUT', path: '/review-settings', headers: admin, body: (v) => `{"minimum_confidence_score":0.5,"v":${v}}`, at: /^body\.v/ },
  { name: 'drift lockdown', method: 'POST', path: '/drift/agents/a/lockdown', headers: agent, body: (v) => `{"reason":"r","v":${v}}`, at: /^body\.v/ },
  { name: 'admin tenants', method: 'POST', path: '/admin/tenants', headers: () => ({ 'x-admin-api-key': ADMIN_KEY }), body: (v) => `{"name":"n","v":${v}}`, at: /^body\.v/ },
]

const HUGE_KEY = 'k'.repeat(2000)

/** Hostile values as raw JSON text (JSON.stringify cannot write 1e309 or a lone surrogate escape). */
const VALUES: Array<[string, string, RegExp]> = [
  ['1e309', '1e309', /: number out of range/],
  ['-1e309', '-1e309', /: number out of range/],
  ['400-digit integer', '1' + '0'.repeat(400), /: number out of range/],
  ['10,000-deep objects', deepObject(10_000), /: nested deeper than 64 levels$/],
  ['10,000-deep arrays', deepArray(10_000), /: nested deeper than 64 levels$/],
  ['65-deep objects', deepObject(65), /: nested deeper than 64 levels$/],
  ['lone high surrogate', '"\\ud800"', /: string holds a lone UTF-16 surrogate/],
  ['lone low surrogate', '"x\\uDC00y"', /: string holds a lone UTF-16 surrogate/],
  ['reversed pair', '"\\udc00\\ud800"', /: string holds a lone UTF-16 surrogate/],
  ['lone surrogate in a key', '{"\\ud800":1}', /: key holds a lone UTF-16 surrogate/],
  ['huge key', `{"${HUGE_KEY}":1}`, /: key longer than 1024 characters$/],
  ['500,000 values (1 MiB of small numbers)', `[${'1,'.repeat(499_999)}1]`, /: more than 10000 JSON values in the body/],
  ['10,001 keys', `{${Array.from({ length: 10_001 }, (_, i) => `"k${i}":0`).join(',')}}`, /: more than 10000 JSON values in the body/],
]

/** Invalid UTF-8 sequences inside a JSON string: each must be refused, never read as U+FFFD. */
const BAD_UTF8: Array<[string, number[]]> = [
  ['lone continuation 0x80', [0x80]],
  ['overlong C0 AE', [0xc0, 0xae]],
  ['CESU surrogate ED A0 80', [0xed, 0xa0, 0x80]],
  ['truncated E2 82', [0xe2, 0x82]],
  ['0xFF', [0xff]],
  ['above U+10FFFF F4 90 80 80', [0xf4, 0x90, 0x80, 0x80]],
]

async function tenantCount(h: Harness): Promise<number> {
  return (await call(h.base, 'GET', '/admin/tenants', { headers: { 'x-admin-api-key': ADMIN_KEY } })).body.tenants.length
}

test('hostile JSON on every entry point → 400 problem+json naming the limit and the path; nothing stored', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const tenants = await tenantCount(h)
  const fastBefore = h.server.app.vaultFastPath.handled
  for (const ep of ENTRY_POINTS) {
    for (const [name, value, limit] of VALUES) {
      const where = `${ep.name}, ${name}`
      const a = await sendRaw(h, ep.method, ep.path, ep.headers(h), ep.body(value))
      assertProblem400(a, limit, where)
      assert.equal(a.body!.code, 'invalid_request', where)
      assert.match(String(a.body!.detail), ep.at, where)
    }
  }
  assert.ok(h.server.app.vaultFastPath.handled - fastBefore >= 2 * VALUES.length, 'the fast path answered its share')
  assert.deepEqual(await snapshot(h), before, 'no clearance and no ledger row was stored')
  assert.equal(await tenantCount(h), tenants, 'no tenant was created')
})

test('invalid UTF-8 on every entry point → 400 invalid_json, never replaced by U+FFFD and approved', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  for (const ep of ENTRY_POINTS) {
    const [prefix, suffix] = ep.body('"\u0000"').split('\u0000') as [string, string]
    for (const [name, bytes] of BAD_UTF8) {
      const where = `${ep.name}, ${name}`
      const a = await sendRaw(h, ep.method, ep.path, ep.headers(h), withBytes(prefix, bytes, suffix))
      assertProblem400(a, /not valid UTF-8/, where)
      assert.equal(a.body!.code, 'invalid_json', where)
    }
  }
  // The same bytes as a small, approvable payment: before the fix this was approved with U+FFFD.
  const payment = withBytes('{"tool_name":"create_stripe_payment","tool_args":{"amount":10,"memo":"', [0xc0, 0xae], '"}}')
  for (const path of ['/request-clearance', '/request-clearance/']) {
    const a = await sendRaw(h, 'POST', path, agent(h), payment)
    assertProblem400(a, /not valid UTF-8/, path)
  }
  assert.deepEqual(await snapshot(h), before, 'no clearance and no ledger row was stored')
})

test('valid UTF-8 (BMP, astral pairs) and limits just inside are accepted and ledgered', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const inside = `{"tool_name":"create_stripe_payment","agent_id":"a","tool_args":{"amount":10,"memo":"caf\u00e9 \u20ac \ud83d\ude00 \\ud83d\\ude00","deep":${deepObject(61)},"many":[${'1,'.repeat(9_000)}1],"${'k'.repeat(1024)}":1.5e308}}`
  for (const path of ['/request-clearance', '/request-clearance/']) {
    const a = await sendRaw(h, 'POST', path, agent(h), inside)
    assert.equal(a.status, 200, a.text.slice(0, 300))
    assert.equal(a.body!.status, 'approved')
    const status = await call(h.base, 'GET', `/clearance-status/${String(a.body!.request_id)}`, { key: h.keys.agent })
    assert.equal(status.status, 200)
  }
  const after = await snapshot(h)
  assert.equal(after.clearances, before.clearances + 2)
  assert.equal(after.ledger, before.ledger + 2)
})

test('a review-bound clearance with unledgerable args is refused at admission, so no pending review can be stuck', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  // amount 5000 → review; before the fix this was stored pending_review and could never be decided.
  for (const args of ['{"amount":5000,"memo":"\\ud800"}', `{"amount":5000,"memo":${deepObject(2000)}}`]) {
    const a = await sendRaw(h, 'POST', '/request-clearance', agent(h), `{"tool_name":"create_stripe_payment","agent_id":"a","tool_args":${args}}`)
    assertProblem400(a, /^body\.tool_args\.memo/, args.slice(0, 40))
  }
  assert.deepEqual(await snapshot(h), before)
  const queue = await call(h.base, 'GET', '/reviews', { key: h.keys.reviewer })
  assert.equal(queue.body.reviews.length, 0, 'nothing pending')
})
