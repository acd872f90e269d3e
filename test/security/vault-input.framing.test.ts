// Issue 16 §5, one reading of every Vault body and one answer per request shape: duplicate keys at
// any depth (also spelled with \u escapes) are refused like the gateway refuses them for bound
// bodies; a Content-Encoding or a charset the Vault does not decode is 415, never read as if it were
// plain UTF-8; a known path with another method is 405 with Allow; and the fast path
// (src/vault/fast-path.ts) answers every hostile body exactly as its fastify twin does.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { request } from 'undici'
import { duplicateKeyProblem } from '../../src/vault/json-body.ts'
import { ADMIN_KEY, registerPayments, startHarness, type Harness } from '../vault/helpers.ts'
import { assertProblem400, deepObject, sendRaw, snapshot } from './vault-input-helpers.ts'

const agent = (h: Harness): Record<string, string> => ({ 'x-vault-api-key': h.keys.agent })
const admin = (h: Harness): Record<string, string> => ({ 'x-vault-api-key': h.keys.admin })

/** Every JSON entry point, with `dup` (raw JSON text of an object) placed where the route reads caller data. */
const ENTRY_POINTS: Array<{ name: string; method: string; path: string; headers: (h: Harness) => Record<string, string>; body: (dup: string) => string; at: string }> = [
  { name: 'request-clearance tool_args (fast path)', method: 'POST', path: '/request-clearance', headers: agent, body: (d) => `{"tool_name":"create_stripe_payment","tool_args":${d}}`, at: 'body.tool_args' },
  { name: 'request-clearance context (fastify)', method: 'POST', path: '/request-clearance/', headers: agent, body: (d) => `{"tool_name":"create_stripe_payment","tool_args":{"amount":1},"context":${d}}`, at: 'body.context' },
  { name: 'mint-token tool_args', method: 'POST', path: '/mint-token', headers: agent, body: (d) => `{"tool_name":"t","original_request_id":"r","tool_args":${d}}`, at: 'body.tool_args' },
  { name: 'consume-token', method: 'POST', path: '/consume-token', headers: agent, body: (d) => `{"token":"a.b.c","x":${d}}`, at: 'body.x' },
  { name: 'register-policy', method: 'POST', path: '/register-policy', headers: admin, body: (d) => `{"policy_id":"p","rules":[{"id":"r"},${d}]}`, at: 'body.rules[1]' },
  { name: 'review settings', method: 'PUT', path: '/review-settings', headers: admin, body: (d) => `{"minimum_confidence_score":0.5,"x":${d}}`, at: 'body.x' },
  { name: 'notification settings', method: 'PUT', path: '/notification-settings', headers: admin, body: (d) => `{"x":${d}}`, at: 'body.x' },
  { name: 'admin tenants', method: 'POST', path: '/admin/tenants', headers: () => ({ 'x-admin-api-key': ADMIN_KEY }), body: (d) => `{"name":"n","x":${d}}`, at: 'body.x' },
]

test('duplicate keys at any depth, also via \\u escapes, on every entry point → 400 naming the key; nothing stored', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const fastBefore = h.server.app.vaultFastPath.handled
  const cases: Array<[string, string, string]> = [
    ['same key twice', '{"amount":10,"amount":5000}', '.amount'],
    ['escaped spelling', '{"amount":10,"\\u0061mount":5000}', '.amount'],
    ['nested in an array', '{"items":[{"a":1},{"b":1,"b":2}]}', '.items[1].b'],
    ['deep', '{"a":{"b":{"c":{"d":1,"d":1}}}}', '.a.b.c.d'],
    ['quoted key with escapes', '{"x\\"y":1,"x\\u0022y":2}', '["x\\"y"]'],
  ]
  for (const ep of ENTRY_POINTS) {
    for (const [name, dup, at] of cases) {
      const where = `${ep.name}, ${name}`
      const a = await sendRaw(h, ep.method, ep.path, ep.headers(h), ep.body(dup))
      assertProblem400(a, /: duplicate key/, where)
      assert.equal(a.body!.code, 'invalid_request', where)
      assert.equal(String(a.body!.detail).split(': duplicate key')[0], ep.at + at, where)
    }
  }
  // The top level too (the fast path's own body check would otherwise read the last tool_name).
  const top = await sendRaw(h, 'POST', '/request-clearance', agent(h), '{"tool_name":"stripe_refund","tool_name":"create_stripe_payment","tool_args":{"amount":1}}')
  assertProblem400(top, /^body\.tool_name: duplicate key/, 'top-level tool_name')
  assert.ok(h.server.app.vaultFastPath.handled - fastBefore >= 6, 'the fast path answered its share')
  assert.deepEqual(await snapshot(h), before, 'no clearance and no ledger row was stored')
  // Control: the same keys once each are accepted (approved, amount 10).
  const ok = await sendRaw(h, 'POST', '/request-clearance', agent(h), '{"tool_name":"create_stripe_payment","tool_args":{"amount":10,"items":[{"a":1},{"b":1}]}}')
  assert.equal(ok.status, 200, ok.text)
  assert.equal(ok.body!.status, 'approved')
})

/** A generated object's text with one of its keys written a second time (plainly or \u-escaped). */
const withDuplicate = fc
  .tuple(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 5 }), fc.nat(), fc.boolean(), fc.jsonValue({ maxDepth: 1 }), fc.nat({ max: 3 }))
  .map(([object, pick, escape, again, wrap]) => {
    const keys = Object.keys(object)
    const key = keys[pick % keys.length]!
    const spelled = escape ? `"${[...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(key)
    let text = `${JSON.stringify(object).slice(0, -1)},${spelled}:${JSON.stringify(again)}}`
    for (let i = 0; i < wrap; i++) text = i % 2 === 0 ? `[1,${text}]` : `{"w":${text}}`
    return text
  })

test('property: duplicateKeyProblem finds every duplicate and nothing in JSON.stringify output', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => duplicateKeyProblem(JSON.stringify(v), 'body') === null),
    { numRuns: 500 },
  )
  fc.assert(
    fc.property(withDuplicate, (text) => {
      JSON.parse(text)
      return duplicateKeyProblem(text, 'body') !== null
    }),
    { numRuns: 500 },
  )
})

test('Content-Encoding other than identity and charsets other than UTF-8 → 415 on every path; UTF-8 spellings accepted', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const payment = '{"tool_name":"create_stripe_payment","tool_args":{"amount":10}}'
  const refused: Array<[string, Record<string, string>, string | Buffer]> = [
    ['gzip', { 'content-encoding': 'gzip' }, gzipSync(payment)],
    ['br label on plain JSON', { 'content-encoding': 'br' }, payment],
    ['deflate', { 'content-encoding': 'deflate' }, payment],
    ['gzip, identity', { 'content-encoding': 'gzip, identity' }, payment],
    ['charset latin1', { 'content-type': 'application/json; charset=latin1' }, payment],
    ['charset utf-16', { 'content-type': 'application/json; charset=utf-16' }, Buffer.from(payment, 'utf16le')],
    ['charset quoted iso-8859-1', { 'content-type': 'application/json;charset="ISO-8859-1"' }, payment],
  ]
  for (const path of ['/request-clearance', '/request-clearance/', '/mint-token', '/register-policy']) {
    for (const [name, headers, body] of refused) {
      const fast = h.server.app.vaultFastPath.handled
      const a = await sendRaw(h, 'POST', path, { ...admin(h), ...headers }, body)
      const where = `${path}, ${name}: ${a.text.slice(0, 200)}`
      assert.equal(a.status, 415, where)
      assert.match(a.contentType, /^application\/problem\+json/, where)
      assert.equal(a.body!.code, 'unsupported_media_type', where)
      assert.equal(h.server.app.vaultFastPath.handled, fast, `${where}: handed to fastify`)
    }
  }
  assert.deepEqual(await snapshot(h), before, 'nothing stored')
  for (const [name, type] of [['UTF-8', 'application/json; charset=UTF-8'], ['quoted utf-8', 'application/json; charset="utf-8"'], ['utf8', 'application/json;charset=utf8']] as const) {
    const a = await sendRaw(h, 'POST', '/request-clearance', { ...agent(h), 'content-type': type, 'content-encoding': 'identity' }, payment)
    assert.equal(a.status, 200, `${name}: ${a.text}`)
  }
})

/** One raw HTTP/1.1 exchange (headers undici would normalise); resolves with the status line and the body. */
function exchange(port: number, head: string, body: Buffer): Promise<{ status: number; contentType: string; body: Record<string, unknown> | null }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(Buffer.concat([Buffer.from(head), body])))
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [top, rest = ''] = text.split('\r\n\r\n')
      const type = /\r\ncontent-type: ([^\r]*)/i.exec(top!)?.[1] ?? ''
      let parsed: Record<string, unknown> | null = null
      try {
        parsed = JSON.parse(rest) as Record<string, unknown>
      } catch {
        parsed = null
      }
      resolve({ status: Number(top!.split(' ')[1]), contentType: type, body: parsed })
    })
  })
}

test('a transfer coding besides chunked and a repeated Content-Type → 415; plain chunked is read as before', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const before = await snapshot(h)
  const payment = Buffer.from('{"tool_name":"create_stripe_payment","tool_args":{"amount":10}}')
  const chunked = (b: Buffer): Buffer => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n0\r\n\r\n')])
  const key = `x-vault-api-key: ${h.keys.agent}\r\nconnection: close\r\n`
  for (const path of ['/request-clearance', '/request-clearance/']) {
    const cases: Array<[string, string, Buffer]> = [
      ['gzip, chunked (plain JSON inside)', `transfer-encoding: gzip, chunked\r\ncontent-type: application/json\r\n`, chunked(payment)],
      ['gzip, chunked (gzip inside)', `transfer-encoding: gzip, chunked\r\ncontent-type: application/json\r\n`, chunked(gzipSync(payment))],
      ['Content-Type twice', `content-type: application/json\r\ncontent-type: text/plain\r\ncontent-length: ${payment.length}\r\n`, payment],
    ]
    for (const [name, headers, body] of cases) {
      const a = await exchange(h.server.port, `POST ${path} HTTP/1.1\r\nhost: vault\r\n${key}${headers}\r\n`, body)
      assert.equal(a.status, 415, `${path}, ${name}: ${JSON.stringify(a.body)}`)
      assert.match(a.contentType, /^application\/problem\+json/, name)
      assert.equal(a.body!.code, 'unsupported_media_type', name)
    }
  }
  assert.deepEqual(await snapshot(h), before, 'nothing stored')
  const ok = await exchange(h.server.port, `POST /request-clearance HTTP/1.1\r\nhost: vault\r\n${key}transfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n`, chunked(payment))
  assert.equal(ok.status, 200, JSON.stringify(ok.body))
  assert.equal(ok.body!.status, 'approved')
})

/** Concrete paths of the Vault's routes and the methods they answer (HEAD wherever GET). */
const ROUTES: Array<[string, string[]]> = [
  ['/request-clearance', ['POST']],
  ['/consume-token', ['POST']],
  ['/mint-token', ['POST']],
  ['/register-policy', ['POST']],
  ['/health', ['GET', 'HEAD']],
  ['/.well-known/jwks.json', ['GET', 'HEAD']],
  ['/clearance-status/abc', ['GET', 'HEAD']],
  ['/reviews', ['GET', 'HEAD']],
  ['/reviews/abc', ['GET', 'HEAD']],
  ['/reviews/abc/decision', ['POST']],
  ['/review-settings', ['GET', 'HEAD', 'PUT']],
  ['/drift/agents/a/lockdown', ['DELETE', 'POST']],
  ['/drift/settings', ['GET', 'HEAD', 'PUT']],
  ['/ledger', ['GET', 'HEAD']],
  ['/ledger/proof/bundle', ['GET', 'HEAD']],
  ['/notification-settings', ['GET', 'HEAD', 'PUT']],
  ['/reports', ['GET', 'HEAD', 'POST']],
  ['/reports/r1/artifacts/pdf', ['GET', 'HEAD']],
  ['/admin/tenants', ['GET', 'HEAD', 'POST']],
  ['/admin/keys/rotate', ['POST']],
]
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

test('a known path with another method → 405 problem+json with Allow (also via // and a trailing slash); unknown paths 404', async (t) => {
  const h = await startHarness(t)
  for (const [path, allowed] of ROUTES) {
    for (const method of METHODS) {
      if (allowed.includes(method)) continue
      for (const spelled of [path, `/${path}/`]) {
        const res = await request(h.base + spelled, { method: method as 'GET', headers: admin(h) })
        const text = await res.body.text()
        const where = `${method} ${spelled}: ${text.slice(0, 200)}`
        assert.equal(res.statusCode, 405, where)
        assert.equal(res.headers['allow'], [...allowed].sort().join(', '), where)
        assert.match(String(res.headers['content-type']), /^application\/problem\+json/, where)
        if (method !== 'HEAD') assert.equal((JSON.parse(text) as { code: string }).code, 'method_not_allowed', where)
      }
    }
  }
  for (const path of ['/nope', '/reviews/a/b/c', '/clearance-status', '/admin/nope']) {
    const res = await request(h.base + path, { method: 'DELETE', headers: admin(h) })
    const body = (await res.body.json()) as { code: string }
    assert.equal(res.statusCode, 404, path)
    assert.equal(body.code, 'not_found', path)
    assert.equal(res.headers['allow'], undefined, path)
  }
})

/** Hostile clearance bodies as raw bytes: generated args with one defect (or none) spliced in. */
const DEFECTS: Array<(args: string) => string | Buffer> = [
  (a) => `{"tool_name":"create_stripe_payment","tool_args":${a}}`,
  (a) => `{"tool_name":"create_stripe_payment","tool_args":${a},"tool_args":{"amount":1}}`,
  (a) => `{"tool_name":"create_stripe_payment","tool_args":{"v":${a},"n":1e309}}`,
  (a) => `{"tool_name":"create_stripe_payment","tool_args":{"v":${a},"s":"\\udc00"}}`,
  (a) => `{"tool_name":"create_stripe_payment","context":{"v":${deepObject(70)}},"tool_args":${a}}`,
  (a) => Buffer.concat([Buffer.from(`{"tool_name":"create_stripe_payment","tool_args":{"v":${a},"s":"`), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}')]),
  (a) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"tool_name":"create_stripe_payment","tool_args":${a}}`)]),
  (a) => `{"tool_name":"create_stripe_payment","tool_args":${a}} trailing`,
  (a) => `{"tool_name":"create_stripe_payment","agent_id":"","tool_args":${a}}`,
  (a) => `{"tool_name":"create_stripe_payment","session_id":" x","tool_args":${a}}`,
  (a) => `{"tool_name":"create_stripe_payment","context":{"policy_id":7},"tool_args":${a}}`,
  (a) => `{"tool_name":"create_stripe_payment","tool_args":[${a}]}`,
  (a) => `{"tool_name":"create_stripe_payment","tool_args":${a},"__proto__":{"x":1}}`,
  () => 'null',
]

interface Seen {
  status: number
  headers: Record<string, unknown>
  body: unknown
}

async function answer(h: Harness, path: string, body: string | Buffer): Promise<Seen> {
  const res = await request(h.base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...agent(h) }, body })
  const text = await res.body.text()
  const { date: _date, ...headers } = res.headers
  const parsed = JSON.parse(text) as Record<string, unknown>
  for (const k of ['request_id', 'token', 'jti']) if (k in parsed) parsed[k] = typeof parsed[k]
  return { status: res.statusCode, headers, body: parsed }
}

test('property: the fast path and its fastify twin answer every hostile clearance body identically; never 5xx', async (t) => {
  const h = await startHarness(t)
  await registerPayments(h)
  const args = fc.record({ amount: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.double({ noNaN: true, noDefaultInfinity: true })), memo: fc.string({ maxLength: 8 }) }, { requiredKeys: ['amount'] })
  await fc.assert(
    fc.asyncProperty(args, fc.nat({ max: DEFECTS.length - 1 }), async (a, which) => {
      const body = DEFECTS[which]!(JSON.stringify(a))
      const fast = h.server.app.vaultFastPath.handled
      const viaFast = await answer(h, '/request-clearance', body)
      assert.equal(h.server.app.vaultFastPath.handled, fast + 1, 'the fast path answered')
      const viaFastify = await answer(h, '/request-clearance/', body)
      assert.ok(viaFast.status < 500, JSON.stringify(viaFast))
      assert.deepEqual(viaFast, viaFastify)
    }),
    { numRuns: 120 },
  )
})
