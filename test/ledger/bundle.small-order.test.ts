// Our own vector (not a file in shared/): a bundle forged under the small-order identity key
// (0100…00) with all-zero-S signatures. node:crypto accepts such a signature on any message; the
// verifier must refuse the key before any signature is trusted.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import * as ed from '@noble/ed25519'
import {
  base64urlDecode,
  base64urlEncode,
  buildCheckpointPayload,
  buildReceiptPayload,
  bytesToHex,
  computeCheckpointHash,
  computeEventHash,
  computeLeafHash,
  nodeLedgerCrypto,
  verifyProofBundle,
} from '../../src/ledger/index.ts'
import { skipWithoutVectors } from '../helpers/vectors.ts'
import { vectorBundle } from './bundle-fixtures.ts'
import type { Json } from './bundle-fixtures.ts'

const crypto = nodeLedgerCrypto
const IDENTITY = new Uint8Array(32)
IDENTITY[0] = 1
// R = identity encoding, S = 0: [S]B = R + [k]A holds for every k when A and R are the identity.
const ZERO_S_SIGNATURE = new Uint8Array(64)
ZERO_S_SIGNATURE[0] = 1
const KID = 'ledgix-test-key-1'
const identityJwk = { kty: 'OKP', crv: 'Ed25519', x: base64urlEncode(IDENTITY), kid: KID, use: 'sig', alg: 'EdDSA' }

/** Rewrite the vector bundle's event (amount 19.99 → 1999.0) as a one-leaf tree, all signed "by" the identity key. */
function forge(): Json {
  const b = vectorBundle()
  const e = b.event
  e.tool_args.amount = 1999
  e.event_hash = computeEventHash(e, crypto)
  e.leaf_hash = computeLeafHash(e.event_hash, crypto)
  e.leaf_index = 0
  e.receipt_key_id = KID
  e.receipt_payload = base64urlEncode(buildReceiptPayload(e))
  e.receipt_signature = base64urlEncode(ZERO_S_SIGNATURE)
  const cp = { ...b.inclusion.checkpoint, checkpoint_id: 1, tree_size: 1, root_hash: e.leaf_hash, prev_checkpoint_hash: '', signer_key_id: KID, export_target: '' }
  const payload = buildCheckpointPayload(cp)
  cp.checkpoint_payload = base64urlEncode(payload)
  cp.checkpoint_hash = computeCheckpointHash(payload, crypto)
  cp.checkpoint_signature = base64urlEncode(ZERO_S_SIGNATURE)
  b.inclusion = { ...b.inclusion, event_hash: e.event_hash, leaf_hash: e.leaf_hash, leaf_index: 0, tree_size: 1, path: [], checkpoint: cp }
  delete b.consistency
  b.keys = [{ key_id: KID, algorithm: 'Ed25519', public_jwk: base64urlEncode(new TextEncoder().encode(JSON.stringify(identityJwk))), active_from: '2026-01-01T00:00:00Z' }]
  return b
}

// Node 20's OpenSSL accepts the forgery; Node 24's (OpenSSL 3.5) refuses it by itself. Default
// @noble/ed25519 (ZIP-215 rules) accepts it everywhere. The key screen must hold on every runtime, so
// the refusal tests below run everywhere, and the trap is shown in every verifier that has it.
const OPENSSL_ACCEPTS_FORGERY = crypto.verifyEd25519(IDENTITY, randomBytes(32), ZERO_S_SIGNATURE)
ed.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest())

test('the trap is real: default @noble/ed25519 (and node:crypto where its OpenSSL has the trap) verifies an all-zero-S signature under the identity key for any message', () => {
  for (let i = 0; i < 3; i++) {
    const message = randomBytes(1 + i * 40)
    assert.equal(ed.verify(ZERO_S_SIGNATURE, message, IDENTITY), true)
    if (OPENSSL_ACCEPTS_FORGERY) assert.equal(crypto.verifyEd25519(IDENTITY, message, ZERO_S_SIGNATURE), true)
  }
})

test('the forged bundle is refused: trusted embedded identity key → keys step fails, no signature counts', { skip: skipWithoutVectors }, () => {
  const bundle = forge()
  // Where OpenSSL has the trap, every signature in it "verifies": only key screening stands in the way.
  if (OPENSSL_ACCEPTS_FORGERY) {
    assert.equal(crypto.verifyEd25519(IDENTITY, base64urlDecode(bundle.event.receipt_payload)!, ZERO_S_SIGNATURE), true)
    assert.equal(crypto.verifyEd25519(IDENTITY, base64urlDecode(bundle.inclusion.checkpoint.checkpoint_payload)!, ZERO_S_SIGNATURE), true)
  }

  const r = verifyProofBundle(bundle, crypto, { trustEmbeddedKeys: true })
  assert.equal(r.intact, false)
  const failures = r.steps.filter((s) => s.status === 'fail')
  assert.deepEqual(failures.map((s) => s.step), ['keys', 'receipt_signature', 'inclusion_checkpoint_signature'])
  assert.match(failures[0]!.message, /small order public key/)
  // Everything else about the forgery is self-consistent, so the refusal is the key screen alone.
  assert.ok(r.steps.filter((s) => s.status === 'ok').some((s) => s.step === 'event_hash'))
})

test('the identity key is refused in a pinned JWKS too', { skip: skipWithoutVectors }, () => {
  const r = verifyProofBundle(forge(), crypto, { pinnedJwks: { keys: [identityJwk] } })
  assert.equal(r.intact, false)
  assert.match(r.steps.find((s) => s.step === 'keys')!.message, /JWKS key 0 is refused: small order public key/)
  assert.equal(bytesToHex(IDENTITY), '01' + '00'.repeat(31))
})
