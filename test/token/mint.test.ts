// mintToken: header bytes fixed, claims in caller order, output verified by jose and verifyToken;
// with the RFC 8032 test key it reproduces the harness-minted vector tokens byte for byte.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrivateKey } from 'node:crypto'
import { jwtVerify } from 'jose'
import { buildKeySet, decodeToken, mintToken, verifyToken } from '../../src/token/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { NOW_MS, SDK_POLICY, ed25519Pair } from './support.ts'
import type { AjwtVectors } from './support.ts'

const vectors = skipWithoutVectors ? null : loadVector<AjwtVectors>('ajwt.json')

test('minted token: exact header, claim order kept, verifies with jose and verifyToken', async () => {
  const { publicKey, privateKey } = ed25519Pair()
  const nowSeconds = Math.floor(NOW_MS / 1000)
  const claims = {
    iss: 'alcv-vault',
    sub: 'clearance',
    aud: ['ledgix-sdk'],
    exp: nowSeconds + 300,
    iat: nowSeconds,
    jti: 'mint-1',
    tool: 'stripe_refund',
    agent_id: 'agent-ü',
  }
  const token = mintToken(claims, { kid: 'kid-1', privateKey })
  const [h, p] = token.split('.')
  assert.equal(Buffer.from(h!, 'base64url').toString(), '{"alg":"EdDSA","kid":"kid-1","typ":"JWT"}')
  assert.equal(Buffer.from(p!, 'base64url').toString(), JSON.stringify(claims))

  const ours = verifyToken(token, (kid) => (kid === 'kid-1' ? publicKey : undefined), SDK_POLICY, NOW_MS)
  assert.ok(ours.ok)
  assert.equal(ours.claims.agent_id, 'agent-ü')
  const jose = await jwtVerify(token, publicKey, {
    algorithms: ['EdDSA'],
    issuer: 'alcv-vault',
    audience: 'ledgix-sdk',
    subject: 'clearance',
    currentDate: new Date(NOW_MS),
  })
  assert.deepEqual(jose.payload, claims)
  assert.deepEqual(jose.protectedHeader, { alg: 'EdDSA', kid: 'kid-1', typ: 'JWT' })
})

test('mintToken refuses an empty kid and a non-Ed25519 or public key', () => {
  const { publicKey, privateKey } = ed25519Pair()
  assert.throws(() => mintToken({}, { kid: '', privateKey }), TypeError)
  assert.throws(() => mintToken({}, { kid: 'k', privateKey: publicKey }), TypeError)
})

test('RFC 8032 test key 1 reproduces the vector tokens byte for byte', { skip: skipWithoutVectors }, () => {
  const jwk = vectors!.test_keys['ledgix-test-key-1']!.jwk_private_TEST_ONLY
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, d: jwk.d! }, format: 'jwk' })
  const keys = buildKeySet(vectors!.jwks).keys
  let reproduced = 0
  for (const name of ['valid', 'valid_string_aud', 'valid_extra_claims', 'expired', 'wrong_audience']) {
    const c = vectors!.cases.find((x) => x.name === name)!
    const token = mintToken(c.decoded!.payload, { kid: 'ledgix-test-key-1', privateKey })
    assert.equal(token, c.token, name)
    assert.ok(decodeToken(token).ok)
    reproduced++
  }
  assert.equal(reproduced, 5)
  const valid = vectors!.cases.find((x) => x.name === 'valid')!
  assert.ok(verifyToken(valid.token, (kid) => keys.get(kid), SDK_POLICY, NOW_MS).ok)
})
