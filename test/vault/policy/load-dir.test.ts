// loadPoliciesDir: the shipped examples load and behave as their comments say; bad files fail the
// whole load with file, YAML path and line.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { evaluate, formatLoadProblem, loadPoliciesDir } from '../../../src/vault/policy/index.ts'
import type { CompiledPolicy } from '../../../src/vault/policy/index.ts'
import { input } from './fixtures.ts'

const EXAMPLES = new URL('../../../config/policies/', import.meta.url).pathname

async function tempDir(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgix-policies-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text)
  return dir
}

async function loadExamples(): Promise<CompiledPolicy[]> {
  const result = await loadPoliciesDir(EXAMPLES)
  if (!result.ok) assert.fail(result.errors.map(formatLoadProblem).join('\n'))
  return result.policies
}

test('the example policies in config/policies load', async () => {
  const policies = await loadExamples()
  assert.deepEqual(
    policies.map((p) => p.policyId),
    ['crm-prod', 'internal-audit', 'payments-prod'],
  )
})

test('payments example: <= 1000 allow, > 1000 review, refunds to unknown customers denied', async () => {
  const policies = await loadExamples()
  const pay = (amount: number) => input({ toolArgs: { amount, payment_method_id: 'pm_1', customer_id: 'cus_1' } })
  assert.equal((await evaluate(pay(1000), policies)).outcome, 'approved')
  assert.equal((await evaluate(pay(1000.01), policies)).outcome, 'pending_review')
  assert.equal((await evaluate(pay(1500), policies)).outcome, 'pending_review')
  const card = await evaluate(input({ toolArgs: { amount: 5, payment_method_id: '4242424242424242' } }), policies)
  assert.deepEqual(card.matchedRuleIds, ['payments-prod/deny-raw-payment-method'])
  const refund = await evaluate(input({ toolName: 'stripe_refund', toolArgs: { amount: 10, customer_id: 'someone' } }), policies)
  assert.equal(refund.outcome, 'denied')
  assert.deepEqual(refund.matchedRuleIds, ['payments-prod/deny-unknown-customer'])
  const refundNoCustomer = await evaluate(input({ toolName: 'stripe_refund', toolArgs: { amount: 10 } }), policies)
  assert.equal(refundNoCustomer.outcome, 'denied')
  assert.equal((await evaluate(input({ toolName: 'stripe_refund', toolArgs: { amount: 10, customer_id: 'cus_9' } }), policies)).outcome, 'approved')
})

test('crm example: reads allowed, deletes denied, exports bounded, e-mail by address and hour', async () => {
  const policies = await loadExamples()
  const crm = (toolName: string, toolArgs: Record<string, unknown>, agentId = 'crm-agent') =>
    evaluate(input({ toolName, toolArgs, agentId }), policies)
  assert.equal((await crm('crm_read_contact', { id: 'c1' })).outcome, 'approved')
  assert.equal((await crm('crm_update_contact', { changes: { phone: '1' } })).outcome, 'approved')
  assert.equal((await crm('crm_update_contact', { changes: { phone: '1', email: 'x' } })).outcome, 'pending_review')
  assert.equal((await crm('crm_delete_contact', { id: 'c1' })).outcome, 'denied')
  assert.equal((await crm('crm_delete_contact', { id: 'c1' }, 'crm-admin-agent')).outcome, 'pending_review')
  assert.equal((await crm('crm_export_contacts', {})).outcome, 'denied')
  assert.equal((await crm('crm_export_contacts', { limit: 100 })).outcome, 'pending_review')
  assert.equal((await crm('crm_send_email', { to: 'ops@example.com' })).outcome, 'approved')
  assert.equal((await crm('crm_send_email', { to: 'x@elsewhere.org' })).outcome, 'pending_review')
  assert.equal((await crm('audit_snapshot', {}, 'audit-agent')).outcome, 'approved')
  assert.equal((await crm('audit_snapshot', {}, 'crm-agent')).reasonCode, 'no_policy_matched')
})

const GOOD = `policy_id: good
tools: [t]
rules:
  - id: ok
    when: "true"
    effect: allow
`

test('a bad file fails the whole load; errors name file, YAML path and line', async (t) => {
  const dir = await tempDir(t, {
    'a-good.yaml': GOOD,
    'b-bad-cel.yaml': `policy_id: bad
rules:
  - id: first
    when: tool_name == "x"
    effect: allow
  - id: second
    when: tool_args.amount >
    effect: deny
`,
    'c-list.yml': `- policy_id: listed-ok
  rules: []
- policy_id: listed-bad
  rules:
    - id: x
      when: "true"
      effect: permit
`,
    'd-syntax.yaml': 'policy_id: broken\nrules: [\n',
    'e-dup.yaml': 'policy_id: good\nrules: []\n',
    'f-empty.yaml': '',
    'notes.txt': 'not a policy',
  })
  const result = await loadPoliciesDir(dir)
  assert.ok(!result.ok)
  const lines = result.errors.map(formatLoadProblem)
  assert.equal(lines.length, 5, lines.join('\n'))
  assert.equal(lines[0], `${join(dir, 'b-bad-cel.yaml')}: rules[1].when (line 7): CEL syntax error at column 19: Unexpected token: EOF`)
  assert.equal(lines[1], `${join(dir, 'c-list.yml')}: [1].rules[0].effect (line 7): expected one of allow, deny, review, got "permit"`)
  assert.match(lines[2] ?? '', /d-syntax\.yaml \(line 3\): YAML: Flow sequence in block collection must be sufficiently indented and end with a \]$/)
  assert.equal(lines[3], `${join(dir, 'e-dup.yaml')}: policy_id (line 1): duplicate policy_id "good", already defined in ${join(dir, 'a-good.yaml')}`)
  assert.equal(lines[4], `${join(dir, 'f-empty.yaml')}: file is empty; expected a policy mapping or a list of policies`)
})

test('a missing directory is one error that says what to check', async () => {
  const result = await loadPoliciesDir(join(tmpdir(), 'ledgix-no-such-policy-dir-' + process.pid))
  assert.ok(!result.ok)
  assert.match(result.errors[0]?.message ?? '', /cannot read the policy directory \(ENOENT\)/)
})

test('good files only → every policy, in file-name order', async (t) => {
  const dir = await tempDir(t, { 'b.yml': GOOD, 'a.yaml': '- policy_id: first\n- policy_id: second\n  tools: []\n' })
  const result = await loadPoliciesDir(dir)
  assert.ok(result.ok)
  assert.deepEqual(
    result.policies.map((p) => p.policyId),
    ['first', 'second', 'good'],
  )
})
