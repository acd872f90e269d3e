// Issue 16 §5 and §3: one identifier rule (src/core/identifier.ts) at every Vault entry point. Agent,
// tool, policy, tenant and request ids are 1–128 of [A-Za-z0-9_.:-] starting with a letter or digit;
// session ids are header text. Anything else is a 400 problem+json — in bodies and in paths, where the
// router used to answer 414 with its own JSON for a parameter over 100 characters — and nothing is
// stored. Every accepted value is header-safe, so the gateway never has to drop a claim header.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { ADMIN_KEY, call, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'
import { assertProblem400, sendRaw, snapshot, type RawAnswer } from './vault-input-helpers.ts'

const BAD_IDS: Array<[string, string]> = [
  ['129 chars', 'a'.repeat(129)],
  ['1000 chars', 'a'.repeat(1000)],
  ['empty', ''],
  ['non-ASCII', 'agént'],
  ['NUL', 'a\u0000b'],
  ['CRLF header injection', 'a\r\nX-Evil: 1'],
  ['DEL', 'a\u007f'],
  ['leading space', ' a'],
  ['inner space', 'a b'],
  ['slash', 'a/b'],
  ['dot segment', '..'],
  ['leading dash', '-a'],
  ['astral', '\u{1F600}'],
]
/**
 * The detail a bad id is refused with: the schema's rule, or for a NUL (a "\u0000" escape) the body
 * check that runs first on every body (json-body.ts: no Vault field may store U+0000).
 */
function refused(field: string, bad: string): RegExp {
  return new RegExp(`^${field.replaceAll('.', '\\.')}: ${bad.includes('\u0000') ? 'string holds U\\+0000' : 'must '}`)
}

const GOOD_IDS = ['a'.repeat(101), 'a'.repeat(128), 'payments-agent', 'default-agent', 'A.b:c_d-9']

const BAD_SESSIONS: Array<[string, string]> = [
  ['129 chars', 's'.repeat(129)],
  ['NUL', 's\u0000'],
  ['tab', 'a\tb'],
  ['newline', 'a\nb'],
  ['leading space', ' s'],
  ['trailing space', 's '],
  ['non-ASCII', 'sé'],
]
const GOOD_SESSIONS = ['', 'checkout-42', 'free text / with: symbols!', 's'.repeat(128)]

/** Printable ASCII, no CR/LF/NUL: what the gateway can put in an X-Ledgix-* header unchanged. */
function headerSafe(value: string): boolean {
  return /^[\x20-\x7e]*$/.test(value) && value.trim() === value
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
}

async function clearance(h: Harness, path: string, body: Record<string, unknown>): Promise<RawAnswer> {
  return sendRaw(h, 'POST', path, { 'x-vault-api-key': h.keys.agent }, JSON.stringify(body))
}

test('request-clearance (fast path and fastify): agent_id, tool_name, session_id and the policy hint follow the rule', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const base = { tool_name: 'create_stripe_payment', tool_args: { amount: 10 } }
  for (const path of ['/request-clearance', '/request-clearance/']) {
    for (const [name, bad] of BAD_IDS) {
      assertProblem400(await clearance(h, path, { ...base, agent_id: bad }), refused('body.agent_id', bad), `${path} agent_id ${name}`)
      assertProblem400(await clearance(h, path, { ...base, tool_name: bad }), refused('body.tool_name', bad), `${path} tool_name ${name}`)
      if (bad !== '') assertProblem400(await clearance(h, path, { ...base, context: { policy_id: bad } }), refused('body.context.policy_id', bad), `${path} policy hint ${name}`)
    }
    for (const [name, bad] of BAD_SESSIONS) {
      assertProblem400(await clearance(h, path, { ...base, session_id: bad }), refused('body.session_id', bad), `${path} session_id ${name}`)
    }
  }
  assert.deepEqual(await snapshot(h), before, 'nothing stored')
  // What is accepted ends up in the token's claims, and every claim is header-safe.
  for (const agentId of GOOD_IDS) {
    for (const sessionId of GOOD_SESSIONS) {
      const a = await clearance(h, '/request-clearance', { ...base, agent_id: agentId, session_id: sessionId, context: { policy_id: 'payments-prod' } })
      assert.equal(a.status, 200, a.text.slice(0, 200))
      assert.equal(a.body!.status, 'approved')
      const claims = claimsOf(String(a.body!.token))
      assert.equal(claims.agent_id, agentId)
      assert.equal(claims.session_id, sessionId)
      for (const k of ['agent_id', 'tool', 'policy_id', 'session_id']) assert.ok(headerSafe(String(claims[k])), `${k} is header-safe`)
    }
  }
})

test('mint-token: tool_name, agent_id, session_id and original_request_id follow the rule', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const approved = await clearance(h, '/request-clearance', { tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: 'payments-agent' })
  const base = { tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: 'payments-agent', original_request_id: String(approved.body!.request_id) }
  const before = await snapshot(h)
  const mint = (body: Record<string, unknown>): Promise<RawAnswer> => sendRaw(h, 'POST', '/mint-token', { 'x-vault-api-key': h.keys.agent }, JSON.stringify(body))
  for (const [name, bad] of BAD_IDS) {
    for (const field of ['tool_name', 'agent_id', 'original_request_id']) {
      assertProblem400(await mint({ ...base, [field]: bad }), refused(`body.${field}`, bad), `${field} ${name}`)
    }
  }
  for (const [name, bad] of BAD_SESSIONS) assertProblem400(await mint({ ...base, session_id: bad }), refused('body.session_id', bad), `session_id ${name}`)
  assert.deepEqual(await snapshot(h), before, 'nothing minted')
  const ok = await mint(base)
  assert.equal(ok.status, 200, ok.text)
})

/** Path forms of a bad id: too long for the rule, too long for the router, not ASCII, control, bad escapes. */
const BAD_PATH_IDS: Array<[string, string]> = [
  ['129 chars', 'a'.repeat(129)],
  ['385 chars (past the router limit)', 'a'.repeat(385)],
  ['1000 chars', 'a'.repeat(1000)],
  ['non-ASCII', encodeURIComponent('agént')],
  ['NUL', '%00'],
  ['space', 'a%20b'],
  ['encoded slash', 'a%2Fb'],
  ['bad percent-encoding', '%E0%A4%A'],
  ['lone surrogate escape', '%ED%A0%80'],
]

test('path identifiers: never a 414 or a router-shaped body; 400 problem+json for a bad id, 404 for an unknown good one', async (t) => {
  const h = await startHarness(t)
  const reviewer = { 'x-vault-api-key': h.keys.reviewer }
  const routes: Array<[string, (id: string) => string, string, string | undefined]> = [
    ['GET', (id) => `/clearance-status/${id}`, 'request_id', undefined],
    ['POST', (id) => `/reviews/${id}/decision`, 'request_id', '{"approved":false}'],
    ['POST', (id) => `/drift/agents/${id}/lockdown`, 'agent_id', undefined],
    // A release needs a reason (it is ledgered), so the id is judged with one.
    ['DELETE', (id) => `/drift/agents/${id}/lockdown`, 'agent_id', '{"reason":"investigated"}'],
    ['GET', (id) => `/admin/tenants/${id}/api-keys`, 'tenant_id', undefined],
    ['POST', (id) => `/admin/tenants/${id}/api-keys`, 'tenant_id', '{}'],
  ]
  for (const [method, path, param, body] of routes) {
    const headers = path('x').startsWith('/admin') ? { 'x-admin-api-key': ADMIN_KEY } : reviewer
    for (const [name, bad] of BAD_PATH_IDS) {
      const where = `${method} ${path('{id}')} ${name}`
      const a = await sendRaw(h, method, path(bad), headers, body)
      assertProblem400(a, /^path/, where)
      assert.ok(String(a.body!.detail).startsWith(`path.${param}: `) || /^path: /.test(String(a.body!.detail)), where)
    }
    // A valid id longer than fastify's default 100-character parameter limit reaches the route.
    const long = 'a'.repeat(128)
    const a = await sendRaw(h, method, path(long), headers, body)
    assert.ok(a.status === 200 || a.status === 404, `${method} ${path('{id}')} 128 chars: ${a.status} ${a.text.slice(0, 200)}`)
    if (a.status === 404) assert.match(a.contentType, /^application\/problem\+json/)
  }
})

test('an agent id of 101–128 characters can be locked down, and its clearances are then denied', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  for (const agentId of ['b'.repeat(101), 'c'.repeat(128), 'ops:agent.v2_x-1']) {
    const lock = await call(h.base, 'POST', `/drift/agents/${encodeURIComponent(agentId)}/lockdown`, { key: h.keys.agent, body: { reason: 'drift' } })
    assert.equal(lock.status, 200, lock.text)
    assert.equal(lock.body.agent_id, agentId)
    const denied = await clearance(h, '/request-clearance', { tool_name: 'create_stripe_payment', tool_args: { amount: 10 }, agent_id: agentId })
    assert.equal(denied.body!.decision_status, 'denied')
    assert.equal(denied.body!.reason_code, 'agent_locked')
    const release = await call(h.base, 'DELETE', `/drift/agents/${encodeURIComponent(agentId)}/lockdown`, { key: h.keys.reviewer, body: { reason: 'investigated' } })
    assert.equal(release.status, 200, release.text)
  }
})

test('admin tenants and register-policy: the same rule (admin idPattern folded in)', async (t) => {
  const h = await startHarness(t)
  const admin = { 'x-admin-api-key': ADMIN_KEY }
  for (const [name, bad] of BAD_IDS) {
    assertProblem400(await sendRaw(h, 'POST', '/admin/tenants', admin, JSON.stringify({ tenant_id: bad })), refused('body.tenant_id', bad), `tenant ${name}`)
    const policy = await sendRaw(h, 'POST', '/register-policy', { 'x-vault-api-key': h.keys.admin }, JSON.stringify({ policy_id: bad, rules: [] }))
    assertProblem400(policy, /policy_id/, `policy ${name}`)
  }
  const tenants = await call(h.base, 'GET', '/admin/tenants', { headers: admin })
  assert.equal(tenants.body.tenants.length, 2, 'no tenant created')
  const created = await call(h.base, 'POST', '/admin/tenants', { headers: admin, body: { tenant_id: 'org:eu.tenant_1' } })
  assert.equal(created.status, 201, created.text)
  const keys = await call(h.base, 'POST', '/admin/tenants/org%3Aeu.tenant_1/api-keys', { headers: admin, body: {} })
  assert.equal(keys.status, 201, keys.text)
})

test('router-level errors are problem+json: unknown routes, bad escapes outside parameters', async (t) => {
  const h = await startHarness(t)
  for (const path of ['/no-such-route', `/${'x'.repeat(2000)}`, '/clearance-status/', '/drift/agents//lockdown']) {
    const a = await sendRaw(h, 'GET', path, { 'x-vault-api-key': h.keys.agent })
    assert.ok(a.status === 404 || a.status === 400, `${path.slice(0, 40)}: ${a.status}`)
    assert.match(a.contentType, /^application\/problem\+json/, path.slice(0, 40))
    assert.equal(a.body!.error, a.body!.code)
  }
})

/** One raw HTTP/1.1 exchange: what the parser-level handler writes, then the close. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let out = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => {
      out += chunk
    })
    socket.on('close', () => resolve(out))
    socket.on('error', reject)
  })
}

test('HTTP-parser refusals are problem+json too: a path id past the header limit (431), a malformed request (400)', async (t) => {
  const h = await startHarness(t)
  const cases: Array<[string, number, string]> = [
    [`GET /drift/agents/${'a'.repeat(20_000)}/lockdown HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large'],
    ['GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400, 'invalid_request'],
    ['NOT HTTP AT ALL\r\n\r\n', 400, 'invalid_request'],
  ]
  for (const [request, status, code] of cases) {
    const response = await rawExchange(h.server.port, request)
    const [head, body] = response.split('\r\n\r\n') as [string, string]
    assert.match(head, new RegExp(`^HTTP/1.1 ${status} `), request.slice(0, 30))
    assert.match(head, /\r\ncontent-type: application\/problem\+json/i)
    const problem = JSON.parse(body) as Record<string, unknown>
    assert.equal(problem.code, code)
    assert.equal(problem.error, code)
    assert.equal(problem.status, status)
  }
})
