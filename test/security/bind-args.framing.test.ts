// Issue 16 §2 around the body, through a real all-in-one `serve` (gateway + Vault in one process, the
// Vault's own signing key, the durable burn) and a real upstream, over raw sockets: a bound route
// takes its arguments from the body alone and reads it one way. A query string, a content or
// transfer coding, a non-JSON or non-UTF-8 Content-Type, a missing, repeated or "_"-spelled one
// are refused before the burn — no burn at the Vault, no upstream hit, and the same token then
// passes with the plain request; framing that changes nothing (chunks, extensions, trailers,
// Expect, charset=utf-8, +json) passes with the upstream getting exactly the checked bytes. Bytes
// pipelined behind a complete body that do not parse leave the token unspent.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { PROBLEM_CONTENT_TYPE } from '../../src/core/index.ts'
import { toolArgsHash } from '../../src/token/index.ts'
import { exactReadingOfValue } from '../helpers/json-readings.ts'
import { startStack } from '../helpers/mode-stack.ts'
import type { Stack } from '../helpers/mode-stack.ts'
import type { TestSigner } from '../helpers/tokens.ts'
import { mint } from '../helpers/tokens.ts'
import { chunked, exchange, rawRequest } from './bind-args.raw.ts'
import type { RawReply } from './bind-args.raw.ts'
import { encodeBody, jsonArgs, oneReadingEquals } from './bind-args.support.ts'

const ROUTES = `  - name: bound
    match: { path_prefix: /bound, methods: [POST, GET, DELETE, HEAD, PUT] }
    upstream: UPSTREAM
    tools: [stripe_refund]
    bind_args: exact
    max_body: 4kib
`

const ARGS = { amount: 249.99, currency: 'usd', customer_id: 'cus_123', note: 'é' }
const BODY = JSON.stringify(ARGS)
const JSON_TYPE = 'Content-Type: application/json'

let s: Stack
let signer: TestSigner
let port: number
before(async () => {
  s = await startStack('all-in-one', { routes: ROUTES })
  signer = await s.signer()
  port = Number(new URL(s.gatewayUrl).port)
})
after(() => s.close())

function head(token: string, extra: readonly string[], target = 'POST /bound/refunds'): string[] {
  return [`${target} HTTP/1.1`, 'Host: gw.test', `Authorization: Bearer ${token}`, 'Connection: close', ...extra]
}

function tokenFor(args: unknown): string {
  return mint(signer, { claims: { tool_args_hash: toolArgsHash(args) } })
}

async function counters(): Promise<{ hits: number; burns: number }> {
  return { hits: s.upstream.hits, burns: await s.burns() }
}

async function assertUnspent(reply: RawReply, status: number, code: string, before: { hits: number; burns: number }, token: string): Promise<void> {
  assert.equal(reply.status, status, `${reply.status} ${reply.body.toString()}`)
  assert.equal(reply.code, code, reply.body.toString())
  assert.equal(reply.headers['content-type'], PROBLEM_CONTENT_TYPE)
  assert.equal(s.upstream.hits, before.hits, 'upstream not called')
  assert.equal(await s.burns(), before.burns, 'no burn at the Vault')
  // Not burned: the plain request with the same token goes through, byte for byte.
  const plain = await exchange(port, rawRequest(head(token, [JSON_TYPE]), BODY))
  assert.equal(plain.status, 200, plain.body.toString())
  assert.equal(s.upstream.lastRequest!.bodySha256, sha256(BODY))
  assert.equal(await s.burns(), before.burns + 1)
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

const REFUSED: { name: string; extra: string[]; body: string | Buffer; target?: string; framing?: 'length' | 'none'; status: number; code: string; detail: string }[] = [
  { name: 'a JSON body declared as a form', extra: ['Content-Type: application/x-www-form-urlencoded'], body: '{"note":"x&amount=1000000"}', status: 415, code: 'body_media_type', detail: 'not JSON' },
  { name: 'multipart', extra: ['Content-Type: multipart/form-data; boundary=b'], body: BODY, status: 415, code: 'body_media_type', detail: 'not JSON' },
  { name: 'text/plain', extra: ['Content-Type: text/plain'], body: BODY, status: 415, code: 'body_media_type', detail: 'not JSON' },
  { name: 'JSON in Latin-1 (é read as Ã©)', extra: ['Content-Type: application/json; charset=latin1'], body: BODY, status: 415, code: 'body_media_type', detail: 'charset' },
  { name: 'charset=iso-8859-1 on ASCII', extra: ['Content-Type: application/json; charset=iso-8859-1'], body: '{"a":1}', status: 415, code: 'body_media_type', detail: 'charset' },
  { name: 'charset=utf-16', extra: ['Content-Type: application/json; charset=utf-16'], body: BODY, status: 415, code: 'body_media_type', detail: 'charset' },
  { name: 'two charsets', extra: ['Content-Type: application/json; charset=utf-8; charset=latin1'], body: BODY, status: 415, code: 'body_media_type', detail: 'more than one' },
  { name: 'a charset hidden in a quoted parameter', extra: ['Content-Type: application/json; x="a;charset=latin1"'], body: BODY, status: 415, code: 'body_media_type', detail: 'malformed' },
  { name: 'a body without Content-Type', extra: [], body: BODY, status: 415, code: 'body_media_type', detail: 'needs Content-Type' },
  { name: 'two Content-Type headers', extra: [JSON_TYPE, 'Content-Type: application/x-www-form-urlencoded'], body: BODY, status: 415, code: 'body_media_type', detail: 'exactly one' },
  { name: 'a Content_Type twin', extra: [JSON_TYPE, 'Content_Type: application/x-www-form-urlencoded'], body: BODY, status: 415, code: 'body_media_type', detail: 'exactly one' },
  { name: 'a Content-Type list', extra: ['Content-Type: application/json, text/plain'], body: BODY, status: 415, code: 'body_media_type', detail: 'list' },
  { name: 'gzip-encoded body', extra: [JSON_TYPE, 'Content-Encoding: gzip'], body: gzipSync(BODY), status: 415, code: 'body_content_encoding', detail: 'gzip' },
  { name: 'deflate-encoded body', extra: [JSON_TYPE, 'Content-Encoding: deflate'], body: deflateSync(BODY), status: 415, code: 'body_content_encoding', detail: 'deflate' },
  { name: 'br-encoded body', extra: [JSON_TYPE, 'Content-Encoding: br'], body: brotliCompressSync(BODY), status: 415, code: 'body_content_encoding', detail: 'br' },
  { name: 'Content-Encoding gzip on plain JSON', extra: [JSON_TYPE, 'Content-Encoding: gzip'], body: BODY, status: 415, code: 'body_content_encoding', detail: 'gzip' },
  { name: 'Content-Encoding identity, gzip', extra: [JSON_TYPE, 'Content-Encoding: identity, gzip'], body: BODY, status: 415, code: 'body_content_encoding', detail: 'gzip' },
  { name: 'a Content_Encoding twin', extra: [JSON_TYPE, 'Content_Encoding: gzip'], body: BODY, status: 415, code: 'body_content_encoding', detail: '"_"' },
  { name: 'Transfer-Encoding gzip, chunked', extra: [JSON_TYPE, 'Transfer-Encoding: gzip, chunked'], body: chunked([BODY]), framing: 'none', status: 415, code: 'body_content_encoding', detail: 'chunked' },
  { name: 'query string beside the body', extra: [JSON_TYPE], body: BODY, target: 'POST /bound/refunds?amount=1000000', status: 400, code: 'query_not_allowed', detail: 'query string' },
  { name: 'a bare "?"', extra: [JSON_TYPE], body: BODY, target: 'POST /bound/refunds?', status: 400, code: 'query_not_allowed', detail: 'query string' },
  { name: 'GET with arguments in the query', extra: [], body: '', target: 'GET /bound/refunds?amount=249.99&currency=usd', status: 400, code: 'query_not_allowed', detail: 'query string' },
  { name: 'DELETE with a query', extra: [JSON_TYPE], body: BODY, target: 'DELETE /bound/refunds?id=re_1', status: 400, code: 'query_not_allowed', detail: 'query string' },
]

describe('issue 16 §2: one reading around the body (real all-in-one serve, raw sockets)', () => {
  for (const c of REFUSED) {
    test(`${c.name} → ${c.status} ${c.code}; not burned, upstream not called; the plain request then passes`, async () => {
      const token = tokenFor(ARGS)
      const before = await counters()
      const reply = await exchange(port, rawRequest(head(token, c.extra, c.target), c.body, c.framing))
      assert.ok(reply.detail.includes(c.detail), reply.detail)
      await assertUnspent(reply, c.status, c.code, before, token)
    })
  }

  const ACCEPTED: { name: string; extra: string[]; body: Buffer; checked: string; target?: string; args?: unknown }[] = [
    { name: 'charset=utf-8', extra: ['Content-Type: application/json; charset=utf-8'], body: Buffer.from(BODY), checked: BODY },
    { name: 'charset="UTF-8", odd case', extra: ['Content-Type: Application/JSON ; Charset="UTF-8"'], body: Buffer.from(BODY), checked: BODY },
    { name: 'a +json type with a parameter', extra: ['Content-Type: application/vnd.api+json; ext=v1'], body: Buffer.from(BODY), checked: BODY },
    { name: 'Content-Encoding: identity', extra: [JSON_TYPE, 'Content-Encoding: identity'], body: Buffer.from(BODY), checked: BODY },
    { name: 'chunked in pieces splitting a UTF-8 sequence', extra: [JSON_TYPE, 'Transfer-Encoding: chunked'], body: chunked([Buffer.from(BODY).subarray(0, BODY.length - 2), Buffer.from(BODY).subarray(BODY.length - 2)]), checked: BODY },
    { name: 'chunk extensions', extra: [JSON_TYPE, 'Transfer-Encoding: chunked'], body: chunked([BODY.slice(0, 9), BODY.slice(9)], ';amount=1000000'), checked: BODY },
    { name: 'trailers (not forwarded)', extra: [JSON_TYPE, 'Transfer-Encoding: chunked', 'Trailer: X-Amount'], body: chunked([BODY], '', ['X-Amount: 1000000']), checked: BODY },
    { name: 'Expect: 100-continue', extra: [JSON_TYPE, 'Expect: 100-continue'], body: Buffer.from(BODY), checked: BODY },
    { name: 'GET with a JSON body', extra: [JSON_TYPE], body: Buffer.from(BODY), checked: BODY, target: 'GET /bound/refunds' },
    { name: 'DELETE with a JSON body', extra: [JSON_TYPE], body: Buffer.from(BODY), checked: BODY, target: 'DELETE /bound/refunds' },
    { name: 'GET without body or Content-Type (absent args = {})', extra: [], body: Buffer.alloc(0), checked: '', target: 'GET /bound/refunds', args: {} },
    { name: 'an empty chunked body without Content-Type', extra: ['Transfer-Encoding: chunked'], body: chunked([]), checked: '', args: {} },
  ]

  for (const c of ACCEPTED) {
    test(`${c.name} → 200, one burn, the upstream gets exactly the checked bytes and no query`, async () => {
      const before = await counters()
      const framing = c.extra.some((h) => h.startsWith('Transfer-Encoding')) ? 'none' : 'length'
      const reply = await exchange(port, rawRequest(head(tokenFor(c.args ?? ARGS), c.extra, c.target), c.body, framing))
      assert.equal(reply.status, 200, reply.body.toString())
      assert.equal(s.upstream.hits, before.hits + 1)
      assert.equal(await s.burns(), before.burns + 1)
      const up = s.upstream.lastRequest!
      assert.equal(up.bodySha256, sha256(c.checked))
      assert.equal(up.url, '/bound/refunds')
      assert.equal(up.headers['x-amount'], undefined)
      assert.equal(up.headers['content-encoding'] ?? 'identity', 'identity')
    })
  }

  test('bytes pipelined behind a complete bound body that do not parse (body longer than Content-Length) → token not burned, upstream not called', async () => {
    const token = tokenFor(ARGS)
    const before = await counters()
    const request = rawRequest(head(token, [JSON_TYPE]), BODY)
    const reply = await exchange(port, Buffer.concat([request, Buffer.from('{"amount":1000000}')]))
    // node:http answers the unparsable rest and ends the connection before the burn would run.
    assert.equal(reply.status, 400)
    assert.equal(reply.code, 'invalid_request')
    await assertUnspent(reply, 400, 'invalid_request', before, token)
  })

  test('an HTTP/1.0 body without Content-Length (no body to node:http, then garbage) → token not burned', async () => {
    const token = tokenFor({})
    const before = await counters()
    const bytes = rawRequest([`POST /bound/refunds HTTP/1.0`, 'Host: gw.test', `Authorization: Bearer ${token}`, JSON_TYPE], BODY, 'none')
    const reply = await exchange(port, bytes)
    assert.equal(reply.status, 400)
    assert.equal(s.upstream.hits, before.hits)
    assert.equal(await s.burns(), before.burns, 'no burn at the Vault')
    const again = await exchange(port, rawRequest(head(token, []), ''))
    assert.equal(again.status, 200, again.body.toString())
  })

  test('a real clearance: the Vault\'s approval passes as escaped, reordered, chunked camelCase JSON and fails every other framing', async () => {
    const token = await s.approvedToken({ tool_name: 'stripe_refund', tool_args: ARGS })
    for (const c of REFUSED.slice(0, 4)) {
      const before = await counters()
      const reply = await exchange(port, rawRequest(head(token, c.extra, c.target), c.body, c.framing))
      assert.equal(reply.code, c.code)
      assert.equal(await s.burns(), before.burns)
      assert.equal(s.upstream.hits, before.hits)
    }
    const body = '{ "note": "\\u00e9", "customerId": "cus_123", "currency": "usd", "amount": 2.4999E2 }'
    const ok = await exchange(port, rawRequest(head(token, [JSON_TYPE, 'Transfer-Encoding: chunked']), chunked([body.slice(0, 20), body.slice(20)]), 'none'))
    assert.equal(ok.status, 200, ok.body.toString())
    assert.equal(s.upstream.lastRequest!.bodySha256, sha256(body))
  })

  /** Framing variants for the property: whether each keeps the one reading. */
  const FRAMINGS: { extra: string[]; target?: string; chunk?: boolean; keeps: boolean }[] = [
    { extra: [JSON_TYPE], keeps: true },
    { extra: ['Content-Type: application/json; charset=utf-8'], keeps: true },
    { extra: [JSON_TYPE], chunk: true, keeps: true },
    { extra: ['Content-Type: application/json; charset=latin1'], keeps: false },
    { extra: ['Content-Type: application/x-www-form-urlencoded'], keeps: false },
    { extra: [JSON_TYPE, 'Content-Encoding: gzip'], keeps: false },
    { extra: [JSON_TYPE], target: 'POST /bound/refunds?a=1', keeps: false },
    { extra: [], keeps: false },
  ]

  test('property over HTTP: generated args × re-encodings × framings → 200 ⇔ one reading equal to the approval and a framing that keeps it', async () => {
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(jsonArgs, fc.gen(), fc.nat(FRAMINGS.length - 1), async (args, g, f) => {
        const { body, mutation } = encodeBody(args, g)
        const framing = FRAMINGS[f]!
        const expected = oneReadingEquals(body, exactReadingOfValue(args)) && framing.keeps
        const before = await counters()
        const bytes = framing.chunk
          ? rawRequest(head(tokenFor(args), [...framing.extra, 'Transfer-Encoding: chunked'], framing.target), chunked([body.subarray(0, 3), body.subarray(3)]), 'none')
          : rawRequest(head(tokenFor(args), framing.extra, framing.target), body)
        const reply = await exchange(port, bytes)
        const what = `${mutation} ${JSON.stringify(framing)}: ${body.toString('utf8')} → ${reply.status} ${reply.code} ${reply.detail}`
        assert.equal(reply.status === 200, expected, what)
        assert.equal(await s.burns(), before.burns + (expected ? 1 : 0), what)
        assert.equal(s.upstream.hits, before.hits + (expected ? 1 : 0), what)
        if (expected) {
          accepted++
          assert.equal(s.upstream.lastRequest!.bodySha256, sha256(body), 'the upstream got the checked bytes')
        } else {
          assert.ok([400, 403, 415].includes(reply.status), what)
          assert.equal(reply.headers['content-type'], PROBLEM_CONTENT_TYPE, what)
        }
      }),
      { numRuns: 120 },
    )
    assert.ok(accepted > 15, `only ${accepted} accepted`)
  })
})
