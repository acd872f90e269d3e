import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { checkEd25519PublicKey } from '../../src/core/index.ts'

const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'))

test('a real key passes', () => {
  const { publicKey } = generateKeyPairSync('ed25519')
  const raw = publicKey.export({ format: 'jwk' }).x!
  assert.equal(checkEd25519PublicKey(Uint8Array.from(Buffer.from(raw, 'base64url'))), null)
  // RFC 8032 TEST 1 public key.
  assert.equal(checkEd25519PublicKey(hex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')), null)
})

test('small-order points are refused', () => {
  const identity = new Uint8Array(32)
  identity[0] = 1 // (0, 1): the neutral element
  assert.equal(checkEd25519PublicKey(identity), 'small_order')
  // Order-2 point (0, -1).
  assert.equal(checkEd25519PublicKey(hex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), 'small_order')
  // Order-8 point.
  assert.equal(checkEd25519PublicKey(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')), 'small_order')
  // Order-4 point (x, 0).
  assert.equal(checkEd25519PublicKey(new Uint8Array(32)), 'small_order')
})

test('non-canonical encodings and wrong lengths are refused', () => {
  // y = p + 1 (non-canonical encoding of the identity).
  assert.equal(checkEd25519PublicKey(hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f')), 'non_canonical')
  // Identity with the x sign bit set: x = 0 cannot be negative.
  const negZero = new Uint8Array(32)
  negZero[0] = 1
  negZero[31] = 0x80
  assert.notEqual(checkEd25519PublicKey(negZero), null)
  assert.equal(checkEd25519PublicKey(new Uint8Array(31)), 'wrong_length')
})
