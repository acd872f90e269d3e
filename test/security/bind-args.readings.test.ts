// Issue 16 §2, the body's own readings, end to end: a real all-in-one `serve` (the Vault's key and
// durable burn), a real upstream, raw sockets. Each hostile spelling a suite would try — duplicate
// keys in every escape spelling and depth, non-JSON whitespace, comments, NaN, numbers that round
// to the approved double, every class of ill-formed UTF-8, non-object bodies, rewrite collisions —
// is refused with its code, unburned and unforwarded, and the same token then passes with the plain
// body; the spellings with one reading pass, with the upstream getting exactly those bytes.
// Decisions pinned here: NFC and NFD spellings are two keys (no side normalises); "1e2" and "100"
// are one reading (the same decimal); "1e-400" is not 0 and "-0" is 0.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { toolArgsHash } from '../../src/token/index.ts'
import { startStack } from '../helpers/mode-stack.ts'
import type { Stack } from '../helpers/mode-stack.ts'
import type { TestSigner } from '../helpers/tokens.ts'
import { mint } from '../helpers/tokens.ts'
import { exchange, rawRequest } from './bind-args.raw.ts'

let s: Stack
let signer: TestSigner
let port: number
before(async () => {
  s = await startStack('all-in-one', {
    routes: `  - name: bound
    match: { path_prefix: /bound, methods: [POST] }
    upstream: UPSTREAM
    tools: [stripe_refund]
    bind_args: exact
    max_body: 4kib
`,
  })
  signer = await s.signer()
  port = Number(new URL(s.gatewayUrl).port)
})
after(() => s.close())

const b = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))))
const inString = (bytes: number[]): Buffer => b('{"a":"x', bytes, 'y"}')

/** [name, approved arguments, body, expected code ('' = accepted)] */
const CASES: [string, unknown, string | Buffer, string][] = [
  // Duplicate keys, compared after unescaping, at any depth.
  ['duplicate key', { a: 2 }, '{"a":1,"a":2}', 'body_duplicate_key'],
  ['duplicate via \\u0061', { a: 2 }, '{"a":1,"\\u0061":2}', 'body_duplicate_key'],
  ['duplicate via upper-case hex \\u004A', { J: 2 }, '{"J":1,"\\u004A":2}', 'body_duplicate_key'],
  ['duplicate, both escaped', { a: 2 }, '{"\\u0061":1,"\\u0061":2}', 'body_duplicate_key'],
  ['duplicate via a surrogate-pair escape', { '😀': 2 }, '{"😀":1,"\\ud83d\\ude00":2}', 'body_duplicate_key'],
  ['duplicate via an upper-case surrogate pair', { '😀': 2 }, '{"\\uD83D\\uDE00":1,"😀":2}', 'body_duplicate_key'],
  ['duplicate deep in an object', { x: { y: [{ z: 2 }] } }, '{"x":{"y":[{"z":1,"z":2}]}}', 'body_duplicate_key'],
  ['duplicate in a nested array', { x: [[{ z: 2 }]] }, '{"x":[[{"z":1,"z":2}]]}', 'body_duplicate_key'],
  ['duplicate __proto__', {}, '{"__proto__":1,"__proto__":2}', 'body_duplicate_key'],
  ['NFC and NFD keys are two keys', { 'é': 1, 'e\u0301': 2 }, '{"é":1,"e\u0301":2}', ''],
  ['an escaped key alone', { a: 1 }, '{"\\u0061":1}', ''],
  // Not JSON.
  ['BOM', { a: 1 }, '\ufeff{"a":1}', 'body_not_json'],
  ['U+00A0 as whitespace', { a: 1 }, '{\u00a0"a":1}', 'body_not_json'],
  ['U+2028 after the object', { a: 1 }, '{"a":1}\u2028', 'body_not_json'],
  ['vertical tab', { a: 1 }, '{\v"a":1}', 'body_not_json'],
  ['form feed', { a: 1 }, '{\f"a":1}', 'body_not_json'],
  ['block comment', { a: 1 }, '{"a":1/*x*/}', 'body_not_json'],
  ['line comment', { a: 1 }, '{"a":1}//x', 'body_not_json'],
  ['trailing comma', { a: 1 }, '{"a":1,}', 'body_not_json'],
  ['trailing comma in an array', { a: [1] }, '{"a":[1,]}', 'body_not_json'],
  ['single quotes', { a: 1 }, "{'a':1}", 'body_not_json'],
  ['NaN', { a: 1 }, '{"a":NaN}', 'body_not_json'],
  ['-Infinity', { a: 1 }, '{"a":-Infinity}', 'body_not_json'],
  ['leading zero', { a: 1 }, '{"a":01}', 'body_not_json'],
  ['leading +', { a: 1 }, '{"a":+1}', 'body_not_json'],
  ['.5', { a: 0.5 }, '{"a":.5}', 'body_not_json'],
  ['two objects', { a: 1 }, '{"a":1}{"a":2}', 'body_not_json'],
  ['NUL after the object', { a: 1 }, '{"a":1}\u0000', 'body_not_json'],
  ['raw newline in a string', { a: 'x\ny' }, '{"a":"x\ny"}', 'body_not_json'],
  ['\\U escape', { a: 'A' }, '{"a":"\\U0041"}', 'body_not_json'],
  ['whitespace only', {}, '  \n', 'body_not_json'],
  // Numbers: the text must be the decimal that was hashed.
  ['-0 is 0', { a: 0 }, '{"a":-0}', ''],
  ['1e2 is 100', { a: 100 }, '{"a":1e2}', ''],
  ['100.0 is 100', { a: 100 }, '{"a":100.0}', ''],
  ['0.1', { a: 0.1 }, '{"a":0.1}', ''],
  ['5e-324', { a: 5e-324 }, '{"a":5e-324}', ''],
  ['2^53', { a: 2 ** 53 }, '{"a":9007199254740992}', ''],
  ['1e21 written out', { a: { b: { c: 1e21 } } }, '{"a":{"b":{"c":1000000000000000000000}}}', ''],
  ['1E400', { a: 1 }, '{"a":1E400}', 'body_number_inexact'],
  ['1e-400 (a double reader reads 0)', { a: 0 }, '{"a":1e-400}', 'body_number_inexact'],
  ['0.10000000000000001 (reads as 0.1)', { a: 0.1 }, '{"a":0.10000000000000001}', 'body_number_inexact'],
  ['2^53+1 (reads as 2^53)', { a: 2 ** 53 }, '{"a":9007199254740993}', 'body_number_inexact'],
  ['2^53+1 in an array', { a: [1, 2 ** 53] }, '{"a":[1,9007199254740993]}', 'body_number_inexact'],
  ['1e21+1 nested', { a: { b: { c: 1e21 } } }, '{"a":{"b":{"c":1000000000000000000001}}}', 'body_number_inexact'],
  ['3e-324 (reads as 5e-324)', { a: 5e-324 }, '{"a":3e-324}', 'body_number_inexact'],
  ['just above the largest double', { a: 1.7976931348623157e308 }, '{"a":1.7976931348623158e308}', 'body_number_inexact'],
  // Ill-formed UTF-8, in values, keys and between tokens.
  ['lone continuation byte', { a: 'x\ufffdy' }, inString([0x80]), 'body_not_utf8'],
  ['overlong 2-byte "/"', { a: 'x/y' }, inString([0xc0, 0xaf]), 'body_not_utf8'],
  ['overlong C1', { a: 'xy' }, inString([0xc1, 0xbf]), 'body_not_utf8'],
  ['overlong 3-byte', { a: 'x/y' }, inString([0xe0, 0x80, 0xaf]), 'body_not_utf8'],
  ['overlong 4-byte', { a: 'x/y' }, inString([0xf0, 0x80, 0x80, 0xaf]), 'body_not_utf8'],
  ['CESU-8 surrogate', { a: 'x\ufffdy' }, inString([0xed, 0xa0, 0x80]), 'body_not_utf8'],
  ['CESU-8 pair', { a: 'x😀y' }, inString([0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]), 'body_not_utf8'],
  ['above U+10FFFF', { a: 'xy' }, inString([0xf4, 0x90, 0x80, 0x80]), 'body_not_utf8'],
  ['F5', { a: 'xy' }, inString([0xf5, 0x80, 0x80, 0x80]), 'body_not_utf8'],
  ['FE', { a: 'xy' }, inString([0xfe]), 'body_not_utf8'],
  ['FF', { a: 'xy' }, inString([0xff]), 'body_not_utf8'],
  ['truncated before a quote', { a: 'x' }, b('{"a":"x', [0xe2, 0x82], '"}'), 'body_not_utf8'],
  ['truncated at the end', { a: 'x' }, b('{"a":"x"}', [0xe2]), 'body_not_utf8'],
  ['truncated 4-byte at the end', { a: 'x' }, b('{"a":"x"}', [0xf0, 0x9f, 0x98]), 'body_not_utf8'],
  ['ill-formed in a key', { ab: 1 }, b('{"a', [0x80], 'b":1}'), 'body_not_utf8'],
  ['lone surrogate escape', { a: 'x' }, '{"a":"\\ud800"}', 'body_not_utf8'],
  ['reversed surrogate pair', { a: 'x' }, '{"a":"\\ude00\\ud83d"}', 'body_not_utf8'],
  ['NBSP bytes between tokens', { a: 1 }, b('{', [0xc2, 0xa0], '"a":1}'), 'body_not_json'],
  ['a 4-byte character', { a: 'x😀y' }, inString([0xf0, 0x9f, 0x98, 0x80]), ''],
  ['U+FFFD itself', { a: 'x\ufffdy' }, inString([0xef, 0xbf, 0xbd]), ''],
  ['U+FFFF', { a: '\uffff' }, b('{"a":"', [0xef, 0xbf, 0xbf], '"}'), ''],
  // The top level.
  ['null (was {})', {}, 'null', 'body_not_object'],
  ['[]', {}, '[]', 'body_not_object'],
  ['a string', {}, '"str"', 'body_not_object'],
  ['0', {}, '0', 'body_not_object'],
  ['an empty body is {}', {}, '', ''],
  // The SDK's camelCase → snake_case rewrite.
  ['customer_id beside customerId', { customer_id: 1 }, '{"customer_id":2,"customerId":1}', 'body_key_collision'],
  ['customer__id beside customer_Id', { customer__id: 1 }, '{"customer__id":2,"customer_Id":1}', 'body_key_collision'],
  ['ID beside _i_d', { _i_d: 1 }, '{"ID":1,"_i_d":2}', 'body_key_collision'],
  ['Id beside _id', { _id: 1 }, '{"Id":1,"_id":2}', 'body_key_collision'],
  ['a collision two levels down', { a: { b_c: 1 } }, '{"a":{"b_c":2,"bC":1}}', 'body_key_collision'],
  ['a collision in an array item', { a: [{ b_c: 1 }] }, '{"a":[{"bC":1,"b_c":2}]}', 'body_key_collision'],
  ['a nested array, which the SDK leaves alone', { a: [[{ bC: 1, b_c: 2 }]] }, '{"a":[[{"bC":1,"b_c":2}]]}', ''],
  ['camelCase against the rewritten approval', { customer_id: 1, a1_b: 2 }, '{"customerId":1,"a1B":2}', ''],
  // Keys one case-insensitive binder (Go's encoding/json, .NET and Jackson when asked) takes for one key.
  ['amount beside Amount (Go reads the last)', { amount: 1, _amount: 1000000 }, '{"amount":1,"Amount":1000000}', 'body_duplicate_key'],
  ['ab beside aB (no rewrite collision)', { ab: 1, a_b: 2 }, '{"ab":1,"aB":2}', 'body_duplicate_key'],
  ['status beside \u017Ftatus (long s folds to s)', { status: 'ok', 'ſtatus': 'refund' }, '{"status":"ok","\u017ftatus":"refund"}', 'body_duplicate_key'],
  ['kind beside the Kelvin sign', { kind: 1, '\u212aind': 2 }, '{"kind":1,"\u212aind":2}', 'body_duplicate_key'],
  ['a case pair deep in an array', { a: [{ x_y: 1, _x_y: 2 }] }, '{"a":[{"xY":1,"XY":2}]}', 'body_duplicate_key'],
  ['É and é', { 'é': 1, 'É': 2 }, '{"é":1,"É":2}', 'body_duplicate_key'],
  ['constructor is data', { constructor: 1 }, '{"constructor":1}', ''],
  ['__proto__ is data, not the approval {}', {}, '{"__proto__":{"admin":true}}', 'tool_args_mismatch'],
]

const NO_PLAIN_BODY = new Set(['status beside \u017Ftatus (long s folds to s)', 'kind beside the Kelvin sign', 'É and é'])

for (const [name, approved, body, code] of CASES) {
  test(`${name} → ${code === '' ? '200, the upstream gets these bytes' : `${code}, not burned, then the plain body passes`}`, async () => {
    const token = mint(signer, { claims: { tool_args_hash: toolArgsHash(approved) } })
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
    const hits = s.upstream.hits
    const burns = await s.burns()
    const head = ['POST /bound/x HTTP/1.1', 'Host: gw.test', `Authorization: Bearer ${token}`, 'Connection: close', 'Content-Type: application/json']
    const reply = await exchange(port, rawRequest(head, bytes))
    if (code === '') {
      assert.equal(reply.status, 200, reply.body.toString())
      assert.equal(s.upstream.hits, hits + 1)
      assert.equal(await s.burns(), burns + 1)
      assert.equal(s.upstream.lastRequest!.bodySha256, createHash('sha256').update(bytes).digest('hex'))
      return
    }
    assert.equal(reply.code, code, reply.body.toString())
    assert.equal(reply.status, code === 'tool_args_mismatch' ? 403 : 400)
    assert.equal(s.upstream.hits, hits, 'upstream not called')
    assert.equal(await s.burns(), burns, 'no burn at the Vault')
    // No plain body carries these approvals: a lone surrogate has no UTF-8, a case pair stays a pair.
    if (name.includes('surrogate escape') || name.includes('surrogate pair') || NO_PLAIN_BODY.has(name)) return
    const plain = await exchange(port, rawRequest(head, JSON.stringify(approved)))
    assert.equal(plain.status, 200, plain.body.toString())
    assert.equal(await s.burns(), burns + 1)
  })
}
