// JWK screening: only OKP/Ed25519 keys with a kid load; small-order, non-canonical, private and
// ambiguous keys are refused at load with a reason; junk documents give an empty set, never a throw.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPublicKey, verify as cryptoVerify } from 'node:crypto'
import type { PublicJwk } from '../../src/core/index.ts'
import { buildKeySet, importPublicJwk, verifyToken } from '../../src/token/index.ts'
import { NOW_MS, SDK_POLICY, b64urlJson, ed25519Pair } from './support.ts'

const IDENTITY = Buffer.alloc(32)
IDENTITY[0] = 1 // the neutral element (0, 1)

test('small-order identity key with a kid is refused at load; its all-zero-S token → token_key_unknown', () => {
  const good = ed25519Pair()
  const doc = {
    keys: [
      { kty: 'OKP', crv: 'Ed25519', kid: 'evil', x: IDENTITY.toString('base64url') },
      { kty: 'OKP', crv: 'Ed25519', kid: 'good', x: good.x },
    ],
  }
  const set = buildKeySet(doc)
  assert.deepEqual([...set.keys.keys()], ['good'])
  assert.deepEqual(set.rejected, [{ kid: 'evil', reason: 'public key refused: small_order' }])

  // The forged token: R = identity, S = 0 "verifies" for any message under the identity key.
  const signingInput =
    b64urlJson({ alg: 'EdDSA', kid: 'evil', typ: 'JWT' }) +
    '.' +
    b64urlJson({ iss: 'alcv-vault', sub: 'clearance', aud: 'ledgix-sdk', exp: 4070908800, jti: 'forged' })
  const signature = Buffer.concat([IDENTITY, Buffer.alloc(32)])
  const token = signingInput + '.' + signature.toString('base64url')
  // Node 20's OpenSSL accepts this forgery under the unscreened key (Node 24's OpenSSL 3.5 refuses it
  // itself); either way the key screen must refuse the key before any signature check.
  const rawKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: IDENTITY.toString('base64url') }, format: 'jwk' })
  const opensslAccepts = cryptoVerify(null, Buffer.from(signingInput), rawKey, signature)
  if (process.versions.openssl.startsWith('3.0.')) assert.equal(opensslAccepts, true, 'the trap this test guards against exists in OpenSSL 3.0')

  const result = verifyToken(token, (kid) => set.keys.get(kid), SDK_POLICY, NOW_MS)
  assert.equal(result.ok ? 'ok' : result.code, 'token_key_unknown')
})

test('importPublicJwk refuses each malformed key with a reason and never throws', () => {
  const { x } = ed25519Pair()
  const cases: Array<[unknown, RegExp]> = [
    [null, /not a JSON object/],
    [[], /not a JSON object/],
    [{ kty: 'OKP', crv: 'Ed25519', x }, /no kid/],
    [{ kty: 'OKP', crv: 'Ed25519', x, kid: '' }, /no kid/],
    [{ kty: 'OKP', crv: 'Ed25519', x, kid: 7 }, /no kid/],
    [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'k'.repeat(257) }, /longer than 256/],
    [{ kty: 'RSA', crv: 'Ed25519', x, kid: 'k' }, /kty/],
    [{ kty: 'OKP', crv: 'X25519', x, kid: 'k' }, /crv/],
    [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'k', d: 'AAAA' }, /private key material/],
    [{ kty: 'OKP', crv: 'Ed25519', kid: 'k' }, /32 bytes/],
    [{ kty: 'OKP', crv: 'Ed25519', x: x + 'A', kid: 'k' }, /32 bytes/],
    [{ kty: 'OKP', crv: 'Ed25519', x: x.slice(0, 42) + '=', kid: 'k' }, /canonical/],
    // Same bytes, non-zero trailing bits in the last character.
    [{ kty: 'OKP', crv: 'Ed25519', x: x.slice(0, 42) + nudgeLast(x), kid: 'k' }, /canonical/],
    // y = p + 1: a non-canonical encoding of the identity.
    [{ kty: 'OKP', crv: 'Ed25519', x: Buffer.from('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex').toString('base64url'), kid: 'k' }, /non_canonical/],
  ]
  for (const [jwk, reason] of cases) {
    const result = importPublicJwk(jwk as PublicJwk)
    assert.equal(result.ok, false, JSON.stringify(jwk))
    if (!result.ok) assert.match(result.reason, reason)
  }
})

function nudgeLast(x: string): string {
  // 43 chars carry 258 bits for 256: flipping the lowest bit of the last char keeps the same bytes.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  return alphabet[alphabet.indexOf(x[42]!) ^ 1]!
}

test('use and alg are ignored like the SDK (spec §5.3)', () => {
  const { x } = ed25519Pair()
  const result = importPublicJwk({ kty: 'OKP', crv: 'Ed25519', x, kid: 'k', use: 'enc', alg: 'Ed25519' })
  assert.ok(result.ok)
  assert.equal(result.key.asymmetricKeyType, 'ed25519')
  assert.equal(result.key.type, 'public')
})

test('buildKeySet tolerates junk documents and drops ambiguous kids', () => {
  for (const junk of [null, 7, 'x', [], {}, { keys: 'no' }, { keys: null }]) {
    const set = buildKeySet(junk)
    assert.equal(set.keys.size, 0)
    assert.equal(set.rejected.length, 1)
  }
  const a = ed25519Pair()
  const b = ed25519Pair()
  const set = buildKeySet({
    keys: [
      { kty: 'OKP', crv: 'Ed25519', x: a.x, kid: 'dup' },
      { kty: 'OKP', crv: 'Ed25519', x: b.x, kid: 'dup' },
      { kty: 'OKP', crv: 'Ed25519', x: a.x, kid: 'same' },
      { kty: 'OKP', crv: 'Ed25519', x: a.x, kid: 'same' },
      { kty: 'OKP', crv: 'Ed25519', x: b.x, kid: 'dup' },
      'junk',
    ],
  })
  assert.deepEqual([...set.keys.keys()], ['same'])
  assert.deepEqual(
    set.rejected.map((r) => r.kid),
    ['dup', null],
  )
})

test('buildKeySet reads at most MAX_JWKS_KEYS entries', () => {
  const { x } = ed25519Pair()
  const keys = Array.from({ length: 1001 }, (_, i) => ({ kty: 'OKP', crv: 'Ed25519', x, kid: `k${i}` }))
  const set = buildKeySet({ keys })
  assert.equal(set.keys.size, 1000)
  assert.equal(set.keys.has('k1000'), false)
  assert.match(set.rejected[0]!.reason, /only the first 1000/)
})
