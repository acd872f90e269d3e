// The browser path: the same verifier with @noble/ed25519 (zip215: false) instead of node:crypto.
// SHA-256/512 come from node:crypto here only because @noble/hashes is not a dependency; a browser
// bundle supplies its own synchronous SHA functions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import * as ed from '@noble/ed25519'
import { verifyLedger, verifyProofBundle } from '../../src/ledger/browser.ts'
import type { LedgerCrypto } from '../../src/ledger/browser.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { bundleFile, testJwks, vectorBundle } from './bundle-fixtures.ts'

ed.hashes.sha512 = (m) => new Uint8Array(createHash('sha512').update(m).digest())

const nobleCrypto: LedgerCrypto = {
  sha256: (data) => new Uint8Array(createHash('sha256').update(data).digest()),
  verifyEd25519(publicKey, message, signature) {
    try {
      return ed.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  },
}

test('with @noble/ed25519 the vector bundle verifies and all 14 tampered bundles fail', { skip: skipWithoutVectors }, () => {
  assert.equal(verifyProofBundle(vectorBundle(), nobleCrypto, { pinnedJwks: testJwks() }).intact, true)
  for (const t of bundleFile!.tampered) {
    assert.equal(verifyProofBundle(t.bundle, nobleCrypto, { pinnedJwks: testJwks() }).intact, false, t.name)
  }
})

test('with @noble/ed25519 the signed 7-event ledger verifies', { skip: skipWithoutVectors }, () => {
  const chain = loadVector<{ jwks: unknown; http_responses: Record<string, Record<string, unknown[]>> }>('ledger-chain.json')
  const r = verifyLedger(
    chain.http_responses['GET /ledger?limit=100']!.entries!,
    chain.http_responses['GET /ledger/checkpoints?limit=24']!.checkpoints!,
    nobleCrypto,
    { pinnedJwks: chain.jwks },
  )
  assert.equal(r.intact, true, r.error)
})
