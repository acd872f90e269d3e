// Issue 16 §2 through real sockets: each body an upstream could read differently from the approval
// is refused with its own 400 code, before the burn — the Vault sees no /consume-token and the
// upstream no request — and the same token then still works with the approved body. Last, the
// property of bind-args.property.test.ts end to end: 200 ⇔ one reading equal to the approval.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { PROBLEM_CONTENT_TYPE } from '../../src/core/index.ts'
import { toolArgsHash } from '../../src/token/index.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { exactReadingOfValue } from '../helpers/json-readings.ts'
import { mint } from '../helpers/tokens.ts'
import { encodeBody, jsonArgs, oneReadingEquals } from './bind-args.support.ts'

let h: Harness
before(async () => {
  h = await startHarness({ routes: (up) => [testRoute('refunds', up, { bindArgs: 'exact', maxBodyBytes: 64 * 1024 })] })
})
after(() => h.close())

function post(token: string, body: string | Buffer) {
  return send(`${h.url}/v1/refunds`, { method: 'POST', headers: { ...bearer(token), 'content-type': 'application/json' }, body })
}

const utf8 = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))))

/**
 * Each case: the body, the arguments the token approves (the reading the old gateway hashed, so
 * before issue 16 every one of these was accepted), and the refusal we expect now.
 */
const CASES: { name: string; body: string | Buffer; approved: unknown; code: string; detail: string }[] = [
  { name: 'duplicate key, last wins in the hash', body: '{"amount":1,"amount":1000}', approved: { amount: 1000 }, code: 'body_duplicate_key', detail: '/amount' },
  { name: 'duplicate key spelled with a \\u escape', body: '{"amount":1000,"\\u0061mount":1}', approved: { amount: 1 }, code: 'body_duplicate_key', detail: '/amount' },
  { name: 'duplicate key deep inside', body: '{"items":[{"sku":"A","sku":"B"}]}', approved: { items: [{ sku: 'B' }] }, code: 'body_duplicate_key', detail: '/items/0/sku' },
  { name: 'camelCase and snake_case keys colliding', body: '{"customer_id":"cus_victim","customerId":"cus_1"}', approved: { customer_id: 'cus_1' }, code: 'body_key_collision', detail: 'customer_id' },
  { name: 'integer beyond 2^53 rounding to the approved one', body: '{"amount":9007199254740993}', approved: { amount: 9007199254740992 }, code: 'body_number_inexact', detail: '9007199254740993' },
  { name: 'decimal beyond double precision', body: '{"amount":100.000000000000000001}', approved: { amount: 100 }, code: 'body_number_inexact', detail: '/amount' },
  { name: 'number beyond the double range', body: '{"amount":1e400}', approved: { amount: 1 }, code: 'body_number_inexact', detail: 'range' },
  { name: 'lone continuation byte (decoded lossily to U+FFFD before)', body: utf8('{"to":"acct', [0x80], '"}'), approved: { to: 'acct\ufffd' }, code: 'body_not_utf8', detail: 'byte 11' },
  { name: 'overlong "/"', body: utf8('{"to":"a', [0xc0, 0xaf], 'b"}'), approved: { to: 'a\ufffd\ufffdb' }, code: 'body_not_utf8', detail: 'byte 8' },
  { name: 'CESU-8 surrogate', body: utf8('{"to":"', [0xed, 0xa0, 0x80], '"}'), approved: { to: '\ufffd\ufffd\ufffd' }, code: 'body_not_utf8', detail: 'CESU' },
  { name: 'truncated sequence', body: utf8('{"to":"', [0xe2, 0x82], '"}'), approved: { to: '\ufffd' }, code: 'body_not_utf8', detail: 'truncated' },
  { name: 'lone surrogate escape', body: '{"to":"\\ud800"}', approved: { to: '\ud800' }, code: 'body_not_utf8', detail: 'surrogate' },
  { name: 'null body (was read as {})', body: 'null', approved: {}, code: 'body_not_object', detail: 'null' },
  { name: 'array body', body: '[]', approved: {}, code: 'body_not_object', detail: 'array' },
  { name: 'nesting beyond the depth bound', body: '{"a":'.repeat(100) + '1' + '}'.repeat(100), approved: {}, code: 'body_not_json', detail: 'deeper' },
]

for (const c of CASES) {
  test(`${c.name} → 400 ${c.code}, token not burned, upstream not called; the approved body then passes`, async () => {
    const hits = h.upstream.hits
    const burns = h.vault.consumeCalls
    const token = mint(h.signer, { claims: { tool_args_hash: toolArgsHash(c.approved) } })
    const reply = await post(token, c.body)
    assert.equal(reply.status, 400, reply.text)
    assert.equal(reply.json['code'], c.code)
    assert.equal(reply.headers['content-type'], PROBLEM_CONTENT_TYPE)
    assert.ok(String(reply.json['detail']).includes(c.detail), String(reply.json['detail']))
    assert.ok(!reply.text.includes(token), 'the problem never echoes the token')
    assert.equal(h.vault.consumeCalls, burns, 'no burn at the Vault')
    assert.equal(h.upstream.hits, hits, 'upstream not called')
    // An approval holding a lone surrogate has no UTF-8 body at all: nothing can meet it.
    if (c.name.startsWith('lone surrogate')) return
    const canonical = await post(token, JSON.stringify(c.approved))
    assert.equal(canonical.status, 200, canonical.text)
    assert.equal(h.vault.consumeCalls, burns + 1)
    assert.equal(h.upstream.hits, hits + 1)
  })
}

test('a lossy-decoded approval cannot be met by its invalid bytes, and the token stays usable for the intended text', async () => {
  const burns = h.vault.consumeCalls
  const token = mint(h.signer, { claims: { tool_args_hash: toolArgsHash({ to: 'acct\ufffd' }) } })
  assert.equal((await post(token, utf8('{"to":"acct', [0xff], '"}'))).json['code'], 'body_not_utf8')
  const ok = await post(token, JSON.stringify({ to: 'acct\ufffd' }))
  assert.equal(ok.status, 200, ok.text)
  assert.equal(h.vault.consumeCalls, burns + 1)
})

test('a well-formed body with another reading → 403 tool_args_mismatch, not burned; equivalent spellings pass', async () => {
  const hits = h.upstream.hits
  const burns = h.vault.consumeCalls
  const token = mint(h.signer, { claims: { tool_args_hash: toolArgsHash({ amount: 1, note: 'é/' }) } })
  const other = await post(token, '{"amount":2,"note":"é/"}')
  assert.equal(other.status, 403)
  assert.equal(other.json['code'], 'tool_args_mismatch')
  assert.equal(h.vault.consumeCalls, burns)
  assert.equal(h.upstream.hits, hits)
  // Key order, whitespace, escapes and number spelling do not change the one reading.
  const same = await post(token, ' {\n\t"note" : "\\u00e9\\/",\r\n "amount":10E-1 } ')
  assert.equal(same.status, 200, same.text)
  assert.equal(h.upstream.lastRequest!.bodyLength, Buffer.byteLength(' {\n\t"note" : "\\u00e9\\/",\r\n "amount":10E-1 } '), 'the upstream gets the bytes that were checked')
  assert.equal(h.vault.consumeCalls, burns + 1)
})

test('end to end over HTTP, generated args × re-encodings: 200 ⇔ one reading equal to the approval; a burn and an upstream hit only then', async () => {
  let accepted = 0
  await fc.assert(
    fc.asyncProperty(jsonArgs, fc.gen(), async (args, g) => {
      const { body, mutation } = encodeBody(args, g)
      const expected = oneReadingEquals(body, exactReadingOfValue(args))
      const hits = h.upstream.hits
      const burns = h.vault.consumeCalls
      const reply = await post(mint(h.signer, { claims: { tool_args_hash: toolArgsHash(args) } }), body)
      assert.equal(reply.status === 200, expected, `${mutation}: ${body.toString('utf8')} → ${reply.status} ${reply.text}`)
      assert.equal(h.vault.consumeCalls - burns, expected ? 1 : 0)
      assert.equal(h.upstream.hits - hits, expected ? 1 : 0)
      if (expected) {
        accepted++
        assert.equal(h.upstream.lastRequest!.bodySha256, createHash('sha256').update(body).digest('hex'), 'the upstream got the checked bytes')
      } else {
        assert.ok([400, 403].includes(reply.status), `${reply.status} ${reply.text}`)
      }
    }),
    { numRuns: 80 },
  )
  assert.ok(accepted > 15, `only ${accepted} accepted`)
})
