// Property tests (fast-check, bounded runs): decodeToken/verifyToken never throw on any string, and
// canonicalJson is stable and emits RFC 8785 key order with no whitespace.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MAX_TOKEN_LENGTH, canonicalJson, decodeToken, verifyToken } from '../../src/token/index.ts'
import { NOW_MS, SDK_POLICY, b64urlJson, ed25519Pair } from './support.ts'

const CODES = new Set([
  'token_malformed',
  'token_algorithm_not_allowed',
  'token_key_unknown',
  'token_signature_invalid',
  'token_expired',
  'token_not_yet_valid',
  'token_wrong_issuer',
  'token_wrong_audience',
  'token_wrong_subject',
])
const B64URL_AND_DOT = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.']
const { publicKey } = ed25519Pair()
const lookup = (kid: string) => (kid === 'k1' ? publicKey : undefined)

function checkNeverThrows(token: string): void {
  const decoded = decodeToken(token)
  if (!decoded.ok) {
    assert.ok(CODES.has(decoded.code))
    assert.equal(typeof decoded.detail, 'string')
  } else {
    assert.equal(decoded.value.signature.length, 64)
  }
  const verified = verifyToken(token, lookup, SDK_POLICY, NOW_MS)
  // A random string never carries a valid signature.
  assert.equal(verified.ok, false)
}

test('decodeToken and verifyToken never throw on arbitrary strings', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkNeverThrows), { numRuns: 300 })
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...B64URL_AND_DOT), maxLength: 400 }), checkNeverThrows),
    { numRuns: 300 },
  )
})

test('decodeToken never throws on structured junk: random JSON headers, payloads and signatures', () => {
  const part = fc.oneof(
    fc.jsonValue().map(b64urlJson),
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s).toString('base64url')),
    fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b).toString('base64url')),
  )
  const header = fc.record(
    {
      alg: fc.oneof(fc.constant('EdDSA'), fc.jsonValue()),
      kid: fc.oneof(fc.constant('k1'), fc.jsonValue()),
      crit: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  fc.assert(
    fc.property(fc.oneof(header.map(b64urlJson), part), part, part, (h, p, s) => checkNeverThrows(`${h}.${p}.${s}`)),
    { numRuns: 300 },
  )
})

test('over-long tokens are refused before any parsing', () => {
  const result = decodeToken('a'.repeat(MAX_TOKEN_LENGTH + 1))
  assert.equal(result.ok ? 'ok' : result.code, 'token_malformed')
})

/** Key sequences of every object in a JSON text, read from the text itself (order as written). */
function objectKeySequences(text: string): string[][] {
  const out: string[][] = []
  const stack: Array<{ keys: string[] | null; expectKey: boolean }> = []
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (ch === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const top = stack.at(-1)
      if (top !== undefined && top.keys !== null && top.expectKey) {
        top.keys.push(JSON.parse(text.slice(i, j + 1)) as string)
        top.expectKey = false
      }
      i = j
    } else if (ch === '{') stack.push({ keys: [], expectKey: true })
    else if (ch === '[') stack.push({ keys: null, expectKey: false })
    else if (ch === '}') out.push(stack.pop()!.keys!)
    else if (ch === ']') stack.pop()
    else if (ch === ',') {
      const top = stack.at(-1)!
      if (top.keys !== null) top.expectKey = true
    } else assert.ok(ch !== ' ' && ch !== '\n' && ch !== '\t' && ch !== '\r', 'no whitespace outside strings')
  }
  return out
}

// RFC 8785 §3.2.3: sort by UTF-16 code units; JS string comparison is exactly that.
function isSortedByCodeUnits(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (!(keys[i - 1]! < keys[i]!)) return false
  return true
}

test('canonicalJson: stable under re-parsing, RFC 8785 key order, no whitespace, same value', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const canonical = canonicalJson(value)
      const reparsed: unknown = JSON.parse(canonical)
      assert.equal(canonicalJson(reparsed), canonical)
      // The same JSON value (a JSON round trip turns -0 into 0, as canonical JSON does).
      assert.deepEqual(reparsed, JSON.parse(JSON.stringify(value)))
      for (const keys of objectKeySequences(canonical)) assert.ok(isSortedByCodeUnits(keys), keys.join(' | '))
    }),
    { numRuns: 400 },
  )
})

test('canonicalJson sorts astral-plane keys by UTF-16 code units, not code points', () => {
  // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FF5E; by code point it would sort after.
  assert.equal(canonicalJson({ '～': 1, '😀': 2 }), '{"😀":2,"～":1}')
  assert.equal(canonicalJson({ b: [{ z: 1, a: 2 }], a: null }), '{"a":null,"b":[{"a":2,"z":1}]}')
})
