import { test } from 'node:test'
import assert from 'node:assert/strict'
import { nodeLedgerCrypto, verifyProofBundle } from '../../src/ledger/index.ts'
import type { BundleStep, BundleVerification } from '../../src/ledger/index.ts'
import { skipWithoutVectors } from '../helpers/vectors.ts'
import { bundleFile, buildBundle, testJwks, vectorBundle } from './bundle-fixtures.ts'
import type { Json } from './bundle-fixtures.ts'

const crypto = nodeLedgerCrypto
const verify = (bundle: unknown, options = {}): BundleVerification =>
  verifyProofBundle(bundle, crypto, { pinnedJwks: testJwks(), ...options })
const failed = (r: BundleVerification): BundleStep[] => r.steps.filter((s) => s.status === 'fail').map((s) => s.step)

test('the vector bundle is intact under the pinned JWKS, every step ok, SDK result fields equal', { skip: skipWithoutVectors }, () => {
  const r = verify(vectorBundle())
  assert.equal(r.intact, true, r.error)
  assert.deepEqual(r.steps.filter((s) => s.status !== 'ok'), [])
  assert.equal(r.steps.length, 19)
  const sdk = bundleFile!.sdk_verdict.result
  assert.equal(r.verified_entries, sdk.verifiedEntries)
  assert.equal(r.verified_checkpoints, sdk.verifiedCheckpoints)
  assert.equal(r.latest_leaf_hash, sdk.latestLeafHash)
  assert.equal(r.latest_checkpoint_hash, sdk.latestCheckpointHash)
})

test('the bundle without consistency (keys []) is intact with pinned keys; consistency is reported skipped', { skip: skipWithoutVectors }, () => {
  const { bundle_wire, sdk_verdict } = bundleFile!.bundle_without_consistency
  const r = verify(bundle_wire)
  assert.equal(r.intact, true, r.error)
  assert.equal(r.verified_checkpoints, sdk_verdict.verifiedCheckpoints)
  assert.equal(r.latest_checkpoint_hash, sdk_verdict.latestCheckpointHash)
  assert.deepEqual(r.steps.filter((s) => s.status === 'skipped').map((s) => s.step), ['consistency_proof'])
})

// The step that must catch each tampered bundle (others may fail too).
const CAUGHT_BY: Record<string, BundleStep> = {
  receipt_signature_flipped: 'receipt_signature',
  event_leaf_hash_changed: 'leaf_hash',
  inclusion_path_sibling_changed: 'inclusion_proof',
  inclusion_leaf_index_changed: 'inclusion_proof',
  checkpoint_root_changed: 'inclusion_checkpoint_payload',
  consistency_path_changed: 'consistency_proof',
  keys_wrong_public_key: 'keys',
  keys_missing_signer: 'keys',
  NOT_CHECKED_event_tool_args_changed: 'event_hash',
  event_hash_changed: 'event_hash',
  NOT_CHECKED_leaf_hash_not_derived_from_event_hash: 'leaf_hash',
  NOT_CHECKED_checkpoint_hash_changed: 'inclusion_checkpoint_hash',
  NOT_CHECKED_to_checkpoint_signature_garbage: 'to_checkpoint_signature',
  NOT_CHECKED_receipt_algorithm: 'receipt_algorithm',
}

test('all 14 tampered bundles are rejected, including the 5 the SDK accepts', { skip: skipWithoutVectors }, () => {
  const tampered = bundleFile!.tampered
  assert.equal(tampered.length, 14)
  assert.equal(tampered.filter((t) => t.sdk_verdict.accepted).length, 5)
  for (const t of tampered) {
    const r = verify(t.bundle)
    assert.equal(r.intact, false, t.name)
    assert.ok(failed(r).includes(CAUGHT_BY[t.name]!), `${t.name} failed ${failed(r).join(', ')}`)
    assert.equal(r.verified_entries, 0)
    assert.match(r.error ?? '', /\S/)
  }
})

test('a mislabelled inclusion tree_size is caught even when the path verifies at that size (the SDK accepts it)', { skip: skipWithoutVectors }, () => {
  // Event 6 is leaf 5 of checkpoint 3 (size 7); a size-7 path also verifies "as size 8".
  const bundle = buildBundle(6, 3)
  assert.equal(verify(bundle).intact, true)
  bundle.inclusion.tree_size = 8
  const r = verify(bundle)
  assert.deepEqual(failed(r), ['inclusion_tree_size'])
  assert.match(r.error!, /inclusion.tree_size 8 differs from the checkpoint's tree_size 7/)
})

test('leaf_index >= tree_size is caught', { skip: skipWithoutVectors }, () => {
  const bundle = vectorBundle()
  bundle.inclusion.leaf_index = 5
  bundle.event.leaf_index = 5
  const r = verify(bundle)
  assert.ok(failed(r).includes('inclusion_tree_size'))
  assert.match(r.steps.find((s) => s.step === 'inclusion_tree_size')!.message, /leaf_index 5 is not below tree_size 5/)
})

test('from_checkpoint must be the inclusion checkpoint, even with a valid consistency proof', { skip: skipWithoutVectors }, () => {
  // Event 2 is in checkpoint 1 (size 3). Claim inclusion in checkpoint 2 but prove consistency 1 -> 3.
  const bundle = buildBundle(2, 2, 3)
  assert.equal(verify(bundle).intact, true)
  const other = buildBundle(2, 1, 3)
  bundle.consistency = other.consistency
  assert.deepEqual(failed(verify(bundle)), ['consistency_from'])
})

test('non-adjacent checkpoints: the chain link is skipped, the consistency proof still binds', { skip: skipWithoutVectors }, () => {
  const r = verify(buildBundle(1, 1, 3))
  assert.equal(r.intact, true, r.error)
  assert.equal(r.steps.find((s) => s.step === 'consistency_chain')!.status, 'skipped')
})

test('without pinned keys the verifier fails closed unless embedded keys are trusted explicitly', { skip: skipWithoutVectors }, () => {
  const unpinned = verifyProofBundle(vectorBundle(), crypto)
  assert.equal(unpinned.intact, false)
  assert.ok(failed(unpinned).includes('keys'))
  assert.ok(failed(unpinned).includes('receipt_signature'))
  const trusted = verifyProofBundle(vectorBundle(), crypto, { trustEmbeddedKeys: true })
  assert.equal(trusted.intact, true, trusted.error)
  assert.match(trusted.steps.find((s) => s.step === 'keys')!.message, /UNPINNED/)
})

test('an embedded key that is not pinned, or conflicts with its pin, fails the keys step', { skip: skipWithoutVectors }, () => {
  const onlyKey1 = { keys: [testJwks().keys[0]] }
  const r = verifyProofBundle(vectorBundle(), crypto, { pinnedJwks: onlyKey1 })
  assert.match(r.steps.find((s) => s.step === 'keys')!.message, /"ledgix-test-key-2" is not in the pinned key set/)
  assert.equal(r.intact, false)
})

test('a redacted event passes with a coverage note, fails with requireEventBody, and may not carry a body', { skip: skipWithoutVectors }, () => {
  const bundle = vectorBundle()
  Object.assign(bundle.event, { intent_hash: '', tool_args: {}, citations: [], evidence_chunks: [] })
  const r = verify(bundle)
  assert.equal(r.intact, true, r.error)
  assert.equal(r.steps.find((s) => s.step === 'event_hash')!.status, 'skipped')
  assert.match(r.coverage_note!, /NOT covered/)
  assert.equal(verify(bundle, { requireEventBody: true }).intact, false)
  const withBody: Json = vectorBundle()
  withBody.event.intent_hash = ''
  withBody.event.tool_args.amount = 1999
  assert.deepEqual(failed(verify(withBody)), ['event_hash'])
})

test('schema errors list every path; null consistency is an error; never throws on junk', { skip: skipWithoutVectors }, () => {
  const bundle = vectorBundle()
  bundle.consistency = null
  bundle.event.citations = ['not an object']
  delete bundle.inclusion.leaf_index
  const r = verify(bundle)
  assert.equal(r.intact, false)
  assert.deepEqual(failed(r), ['schema'])
  for (const path of ['consistency', 'event.citations[0]', 'inclusion.leaf_index']) assert.match(r.error!, new RegExp(path.replace(/[.[\]]/g, '\\$&')))
  for (const junk of [null, 42, 'x', [], { event: [] }, { event: {}, inclusion: {} }]) assert.equal(verify(junk).intact, false)
})
