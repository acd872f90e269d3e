// Policy versions from the dashboard: the list (content hash, author key, active), one version's
// content, validation of YAML and JSON with line and column, the server-computed diff between two
// versions, and the dry run — with the real engine and without any side effect.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import { call, PAYMENTS_POLICY, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'
import type { DiffHunk } from '../../src/vault/text-diff.ts'

async function register(h: Harness, body: unknown, key = h.keys.admin): Promise<string> {
  const res = await call(h.base, 'POST', '/register-policy', { key, body })
  assert.equal(res.status, 200, res.text)
  return res.body.policy_version_id as string
}

const V2 = { ...PAYMENTS_POLICY, rules: PAYMENTS_POLICY.rules.map((r) => (r.id === 'big-review' ? { ...r, when: r.when.replace('1000.0', '2000.0') } : r)) }

test('GET /policies lists every version with content hash, author key and which is active; GET /policies/{version} gives its content', async (t) => {
  // Versions list newest first: a clock that moves between registrations makes "newest" unambiguous.
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'))
  const h = await startHarness(t, { clock })
  const v1 = await register(h, PAYMENTS_POLICY)
  clock.advance(1000)
  const v2 = await register(h, V2)
  clock.advance(1000)
  const other = await register(h, { policy_id: 'email', rules: ['Only to customers.'] })
  await register(h, { policy_id: 'b-only', rules: [] }, h.keys.bAdmin)
  const list = await call(h.base, 'GET', '/policies', { key: h.keys.reviewer })
  assert.equal(list.status, 200, list.text)
  const versions = list.body.versions as Array<Record<string, unknown>>
  assert.deepEqual(versions.map((v) => [v.version, v.policy_id, v.active]), [[other, 'email', true], [v2, 'payments-prod', true], [v1, 'payments-prod', false]])
  const adminKeyId = (await call(h.base, 'GET', '/api-keys', { key: h.keys.admin })).body.api_keys.find((k: { name: string }) => k.name === 'admin').key_id
  assert.deepEqual([versions[2]!.author_key_id, versions[2]!.author], [adminKeyId, 'admin'])
  assert.match(versions[2]!.content_hash as string, /^sha256:[0-9a-f]{64}$/)
  const one = await call(h.base, 'GET', `/policies/${v1}`, { key: h.keys.reviewer })
  assert.equal(one.status, 200)
  assert.equal(one.body.content_hash, versions[2]!.content_hash)
  assert.equal(one.body.document.rules[1].when, PAYMENTS_POLICY.rules[1]!.when)
  assert.equal(one.body.format, 'yaml')
  assert.match(one.body.text, /^policy_id: payments-prod\n/)
  const asJson = await call(h.base, 'GET', `/policies/${v1}?format=json`, { key: h.keys.reviewer })
  assert.deepEqual(JSON.parse(asJson.body.text), one.body.document)
  // Refusals: agent 403, another tenant's version 404, a bad format 400 naming it.
  assert.deepEqual([(await call(h.base, 'GET', '/policies', { key: h.keys.agent })).status, (await call(h.base, 'GET', `/policies/${v1}`, { key: h.keys.agent })).status], [403, 403])
  assert.equal((await call(h.base, 'GET', `/policies/${v1}`, { key: h.keys.bAdmin })).status, 404)
  assert.deepEqual((await call(h.base, 'GET', '/policies', { key: h.keys.bAdmin })).body.versions.map((v: { policy_id: string }) => v.policy_id), ['b-only'])
  assert.match((await call(h.base, 'GET', `/policies/${v1}?format=xml`, { key: h.keys.reviewer })).body.detail, /^query\.format: /)
})

test('POST /policies/validate: YAML and JSON errors at line and column, schema errors at the offending node', async (t) => {
  const h = await startHarness(t)
  const validate = async (content: string, format?: string) => {
    const res = await call(h.base, 'POST', '/policies/validate', { key: h.keys.admin, body: { content, ...(format === undefined ? {} : { format }) } })
    assert.equal(res.status, 200, res.text)
    return res.body as { ok: boolean; errors: Array<{ line: number; column: number; path: string; message: string }>; document?: unknown; content_hash?: string }
  }
  const yaml = [
    'policy_id: payments-prod',
    'rules:',
    '  - id: big',
    '    when: tool_args.amount >',
    '    effect: review',
    '  - id: tiny',
    '    when: "true"',
    '    efect: allow',
    '',
  ].join('\n')
  const bad = await validate(yaml)
  assert.equal(bad.ok, false)
  assert.deepEqual(bad.errors.map((e) => [e.line, e.column, e.path]), [[4, 11 + 'tool_args.amount >'.length, 'rules[0].when'], [8, 5, 'rules[1].efect'], [6, 5, 'rules[1].effect']])
  assert.match(bad.errors[1]!.message, /did you mean "effect"/)
  const syntax = await validate('policy_id: p\nrules: [\n  - x\n')
  assert.equal(syntax.ok, false)
  assert.equal(syntax.errors[0]!.path, '')
  assert.ok(syntax.errors[0]!.line >= 2 && syntax.errors[0]!.column >= 1)
  const json = await validate('{\n  "policy_id": "p",\n  "rules": [],\n  "tools": [1]\n}', 'json')
  assert.deepEqual(json.errors.map((e) => [e.line, e.column, e.path]), [[4, 13, 'tools[0]']])
  const notJson = await validate("{'policy_id': 'p'}", 'json')
  assert.deepEqual([notJson.ok, notJson.errors[0]!.line, notJson.errors[0]!.column], [false, 1, 2])
  assert.match(notJson.errors[0]!.message, /^JSON: /)
  const list = await validate('- policy_id: a\n- policy_id: b\n')
  assert.deepEqual([list.ok, list.errors[0]!.line, list.errors[0]!.column], [false, 1, 1])
  const good = await validate(JSON.stringify(PAYMENTS_POLICY), 'json')
  assert.deepEqual([good.ok, good.errors], [true, []])
  // The document it returns registers as it is, with the same content hash.
  const registered = await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: good.document })
  assert.equal(registered.body.policy_content_hash, good.content_hash)
  // Bad input: the body names the field.
  assert.match((await call(h.base, 'POST', '/policies/validate', { key: h.keys.admin, body: { content: 1 } })).body.detail, /^body\.content: /)
  assert.match((await call(h.base, 'POST', '/policies/validate', { key: h.keys.admin, body: { content: 'x', format: 'toml' } })).body.detail, /^body\.format: /)
  assert.match((await call(h.base, 'POST', '/policies/validate', { key: h.keys.admin, body: { content: 'x'.repeat(256 * 1024 + 1) } })).body.detail, /^body\.content: /)
  assert.equal((await call(h.base, 'POST', '/policies/validate', { key: h.keys.agent, body: { content: 'x' } })).status, 403)
})

test('GET /policies/diff: hunks that turn one version\'s canonical text into the other\'s', async (t) => {
  const h = await startHarness(t)
  const v1 = await register(h, PAYMENTS_POLICY)
  const v2 = await register(h, V2)
  for (const format of ['yaml', 'json']) {
    const res = await call(h.base, 'GET', `/policies/diff?from=${v1}&to=${v2}&format=${format}`, { key: h.keys.reviewer })
    assert.equal(res.status, 200, res.text)
    const hunks = res.body.hunks as DiffHunk[]
    const changed = hunks.flatMap((x) => x.lines.filter((l) => l.op !== ' '))
    assert.equal(changed.length, 2, format)
    assert.deepEqual(changed.map((l) => l.op), ['-', '+'])
    assert.ok(changed[0]!.text.includes('1000.0') && changed[1]!.text.includes('2000.0'))
    // Applying the hunks to the `from` text gives the `to` text.
    const from = (await call(h.base, 'GET', `/policies/${v1}?format=${format}`, { key: h.keys.reviewer })).body.text.split('\n') as string[]
    const to = (await call(h.base, 'GET', `/policies/${v2}?format=${format}`, { key: h.keys.reviewer })).body.text as string
    const out: string[] = []
    let at = 0
    for (const x of hunks) {
      while (at < x.from_start - 1) out.push(from[at++]!)
      for (const l of x.lines) if (l.op !== '-') out.push(l.text)
      at += x.from_lines
    }
    while (at < from.length) out.push(from[at++]!)
    assert.equal(out.join('\n'), to)
  }
  const same = await call(h.base, 'GET', `/policies/diff?from=${v1}&to=${v1}`, { key: h.keys.reviewer })
  assert.deepEqual([same.body.identical, same.body.hunks], [true, []])
  assert.match((await call(h.base, 'GET', `/policies/diff?from=${v1}`, { key: h.keys.reviewer })).body.detail, /^query\.to/)
  const missing = await call(h.base, 'GET', `/policies/diff?from=${v1}&to=pv_nope`, { key: h.keys.reviewer })
  assert.deepEqual([missing.status, missing.body.detail], [404, 'query.to: no such policy version'])
  assert.equal((await call(h.base, 'GET', `/policies/diff?from=${v1}&to=${v2}`, { key: h.keys.bAdmin })).status, 404)
  assert.equal((await call(h.base, 'GET', `/policies/diff?from=${v1}&to=${v2}`, { key: h.keys.agent })).status, 403)
})

test('POST /policies/dry-run: decision and each rule with whether it fired, from a version or posted text, with no side effects', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const [version] = (await call(h.base, 'GET', '/policies', { key: h.keys.admin })).body.versions.map((v: { version: string }) => v.version)
  const store = h.server.context.store
  const before = {
    events: (await store.listDecisionEvents(h.tenantA, 0, 1000)).length,
    clearances: (await store.listClearances(h.tenantA, { status: 'all', limit: 1000, after: null })).length,
    ledger: await store.countLedgerEvents(h.tenantA),
    outbox: (await store.listOutbox(h.tenantA, null, 1000)).length,
  }
  const big = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.reviewer, body: { version, tool_name: 'create_stripe_payment', tool_args: { amount: 5000 }, agent_id: 'payments-agent' } })
  assert.equal(big.status, 200, big.text)
  assert.equal(big.body.decision, 'pending_review')
  assert.deepEqual(big.body.fired.map((f: { rule: string; effect: string; matched: boolean }) => [f.rule, f.effect, f.matched]), [
    ['payments-prod/refunds-denied', 'deny', false],
    ['payments-prod/big-review', 'review', true],
    ['payments-prod/small-allow', 'allow', false],
  ])
  assert.match(big.body.reason, /Payments above 1000 need review/)
  assert.equal(big.body.policy.version, version)
  const refund = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { version, tool_name: 'stripe_refund' } })
  assert.deepEqual([refund.body.decision, refund.body.matched_rule_ids], ['denied', ['payments-prod/refunds-denied']])
  // Posted text (YAML), a rule that errors at runtime, a natural-language rule (no judge in a dry run).
  const content = [
    'policy_id: draft',
    'rules:',
    '  - id: needs-amount',
    '    when: tool_args.amount > 10',
    '    effect: deny',
    '  - Never pay unknown customers.',
  ].join('\n')
  const draft = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { content, tool_name: 'pay', tool_args: {} } })
  assert.equal(draft.status, 200, draft.text)
  assert.equal(draft.body.decision, 'pending_review')
  assert.equal(draft.body.fired[0].matched, false)
  assert.match(draft.body.fired[0].error, /amount/)
  assert.deepEqual([draft.body.fired[1].kind, draft.body.fired[1].matched], ['natural_language', null])
  const uncovered = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { version, tool_name: 'send_email' } })
  assert.deepEqual([uncovered.body.decision, uncovered.body.applies, uncovered.body.fired[0].matched], ['denied', false, null])
  // Nothing stored, nothing ledgered, no token, no notification.
  assert.equal((await store.listDecisionEvents(h.tenantA, 0, 1000)).length, before.events)
  assert.equal((await store.listClearances(h.tenantA, { status: 'all', limit: 1000, after: null })).length, before.clearances)
  assert.deepEqual(await store.countLedgerEvents(h.tenantA), before.ledger)
  assert.equal((await store.listOutbox(h.tenantA, null, 1000)).length, before.outbox)
  assert.ok(!big.text.includes('eyJ'), 'no token in the answer')
  // Refusals.
  const both = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { version, content, tool_name: 'pay' } })
  assert.match(both.body.detail, /^body\.version: give exactly one/)
  const neither = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { tool_name: 'pay' } })
  assert.equal(neither.status, 400)
  const invalid = await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { content: 'policy_id: x\nrules: 3\n', tool_name: 'pay' } })
  assert.equal(invalid.status, 400)
  assert.match(invalid.body.detail, /^body\.content: line 2, column 8: rules: /)
  assert.match((await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { version, tool_name: 'pay', tool_args: [] } })).body.detail, /^body\.tool_args: /)
  assert.match((await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.admin, body: { version } })).body.detail, /^body\.tool_name/)
  assert.equal((await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.bAdmin, body: { version, tool_name: 'pay' } })).status, 404)
  assert.equal((await call(h.base, 'POST', '/policies/dry-run', { key: h.keys.agent, body: { version, tool_name: 'pay' } })).status, 403)
})
