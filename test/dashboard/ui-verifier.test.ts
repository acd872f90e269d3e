// "Verify in this browser", run in Node through the very module the page calls
// (dashboard/src/lib/verify.ts: src/ledger/browser.ts + @noble/ed25519 zip215:false + @noble/hashes):
// the vector bundle passes every step; each tampered vector fails and names the step that caught it;
// a small-order (identity) key with R = identity, S = 0 signatures is refused (design notes §5.5).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { base64urlEncode } from '../../src/ledger/browser.ts'
import { browserLedgerCrypto, verifyInBrowser } from '../../dashboard/src/lib/verify.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

type Json = Record<string, any>
interface BundleFile {
  jwks: Json
  bundle_wire: Json
  bundle_without_consistency: { bundle_wire: Json }
  tampered: { name: string; bundle: Json }[]
}

const file = skipWithoutVectors === false ? loadVector<BundleFile>('proof-bundle.json') : null

/** The first step each tampered vector must fail at (the page shows it as "Verification failed at: …"). */
const FIRST_FAILURE: Record<string, string> = {
  receipt_signature_flipped: 'receipt_signature',
  event_leaf_hash_changed: 'leaf_hash',
  inclusion_path_sibling_changed: 'inclusion_proof',
  inclusion_leaf_index_changed: 'inclusion_binding',
  checkpoint_root_changed: 'inclusion_checkpoint_payload',
  consistency_path_changed: 'consistency_proof',
  keys_wrong_public_key: 'keys',
  keys_missing_signer: 'keys',
  NOT_CHECKED_event_tool_args_changed: 'event_hash',
  event_hash_changed: 'event_hash',
  NOT_CHECKED_leaf_hash_not_derived_from_event_hash: 'event_hash',
  NOT_CHECKED_checkpoint_hash_changed: 'inclusion_checkpoint_hash',
  NOT_CHECKED_to_checkpoint_signature_garbage: 'to_checkpoint_payload',
  NOT_CHECKED_receipt_algorithm: 'receipt_algorithm',
}

test('the vector bundle: every step ✓ against the pinned JWKS', { skip: skipWithoutVectors }, () => {
  const r = verifyInBrowser(structuredClone(file!.bundle_wire), file!.jwks)
  assert.equal(r.intact, true, r.raw.error)
  assert.equal(r.failedStep, null)
  assert.ok(r.steps.length >= 19, `${r.steps.length} steps`)
  for (const s of r.steps) assert.equal(s.mark, '✓', `${s.step}: ${s.message}`)
  for (const step of ['event_hash', 'leaf_hash', 'inclusion_proof', 'inclusion_checkpoint_signature', 'receipt_signature', 'consistency_proof']) {
    assert.ok(r.steps.some((s) => s.step === step && s.status === 'ok'), step)
  }
  const without = verifyInBrowser(structuredClone(file!.bundle_without_consistency.bundle_wire), file!.jwks)
  assert.equal(without.intact, true)
  assert.equal(without.steps.find((s) => s.step === 'consistency_proof')?.mark, '–', 'no consistency member: shown as skipped, not as a pass')
})

test('each of the 14 tampered vectors: ✗, naming the step that caught it', { skip: skipWithoutVectors }, () => {
  assert.equal(file!.tampered.length, Object.keys(FIRST_FAILURE).length)
  for (const t of file!.tampered) {
    const r = verifyInBrowser(structuredClone(t.bundle), file!.jwks)
    assert.equal(r.intact, false, t.name)
    const first = r.steps.find((s) => s.status === 'fail')
    assert.equal(first?.step, FIRST_FAILURE[t.name], t.name)
    assert.equal(first?.mark, '✗')
    assert.equal(r.failedStep, first?.label, 'the page names the human label of the failed step')
  }
})

test('without the pinned JWKS the bundle\'s own keys prove nothing: ✗ at the keys step', { skip: skipWithoutVectors }, () => {
  const r = verifyInBrowser(structuredClone(file!.bundle_wire), { keys: [] })
  assert.equal(r.intact, false)
  assert.equal(r.steps.find((s) => s.status === 'fail')?.step, 'keys')
})

test('small-order public key (identity, R = identity, S = 0 on every signature): refused at the keys step, and the primitive says no', { skip: skipWithoutVectors }, () => {
  const identity = new Uint8Array(32)
  identity[0] = 1
  const forged = new Uint8Array(64)
  forged.set(identity, 0) // R = identity point, S = 0
  assert.equal(browserLedgerCrypto.verifyEd25519(identity, new TextEncoder().encode('any message'), forged), false, 'zip215: false rejects the identity forgery')
  const x = base64urlEncode(identity)
  const kid = 'ledgix-test-key-1'
  const jwk = { kty: 'OKP', crv: 'Ed25519', x, kid }
  const bundle = structuredClone(file!.bundle_wire)
  const sig = base64urlEncode(forged)
  bundle.event.receipt_signature = sig
  bundle.event.receipt_key_id = kid
  bundle.inclusion.checkpoint.checkpoint_signature = sig
  bundle.inclusion.checkpoint.signer_key_id = kid
  bundle.consistency.from_checkpoint = structuredClone(bundle.inclusion.checkpoint)
  bundle.consistency.to_checkpoint.checkpoint_signature = sig
  bundle.consistency.to_checkpoint.signer_key_id = kid
  bundle.keys = [{ ...bundle.keys[0], key_id: kid, public_jwk: base64urlEncode(new TextEncoder().encode(JSON.stringify(jwk))) }]
  const r = verifyInBrowser(bundle, { keys: [jwk] })
  assert.equal(r.intact, false)
  const keys = r.steps.find((s) => s.step === 'keys')
  assert.equal(keys?.status, 'fail')
  assert.match(keys!.message, /small order/)
  assert.ok(r.steps.filter((s) => s.step.endsWith('signature')).every((s) => s.status === 'fail'), 'no signature passes with the refused key')
})
