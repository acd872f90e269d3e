import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  buildCheckpointPayload,
  bytesToHex,
  computeCheckpointHash,
  createNodeSigner,
  ed25519PrivateKeyFromSeed,
  hexToBytes,
  nodeLedgerCrypto,
  parseLedgerCheckpoint,
  signCheckpoint,
  verifyLedger,
} from '../../src/ledger/index.ts'
import type { LedgerVerification } from '../../src/ledger/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

type Row = Record<string, unknown>
interface ChainFile {
  test_keys: Record<string, { seed_hex_TEST_ONLY?: string }>
  jwks: { keys: unknown[] }
  http_responses: { 'GET /ledger?limit=100': { entries: Row[] }; 'GET /ledger/checkpoints?limit=24': { checkpoints: Row[] } }
  checkpoint_details: { checkpoint_id: number; checkpoint_payload_cbor_hex: string; checkpoint_hash: string; signer_kid: string }[]
  sdk_verdict: { result: { intact: boolean; verifiedEntries: number; verifiedCheckpoints: number; latestLeafHash: string; latestCheckpointHash: string } }
  chain_checks: { name: string; sdk_verdict: { ok: boolean; message?: string; result?: { coverageNote: string; verifiedEntries: number } } }[]
}

const crypto = nodeLedgerCrypto
const file = skipWithoutVectors ? null : loadVector<ChainFile>('ledger-chain.json')
const entries = () => structuredClone(file!.http_responses['GET /ledger?limit=100'].entries)
const checkpoints = () => structuredClone(file!.http_responses['GET /ledger/checkpoints?limit=24'].checkpoints)
const verify = (e: Row[], c: Row[]): LedgerVerification => verifyLedger(e, c, crypto, { pinnedJwks: file!.jwks })

test('3 checkpoints: payload bytes, checkpoint_hash, and re-signing reproduces each signature', { skip: skipWithoutVectors }, () => {
  const served = checkpoints()
  file!.checkpoint_details.forEach((d, i) => {
    const parsed = parseLedgerCheckpoint(served[i])
    assert.ok(parsed.ok)
    const cp = parsed.value
    const payload = buildCheckpointPayload(cp)
    assert.equal(bytesToHex(payload), d.checkpoint_payload_cbor_hex, `checkpoint ${d.checkpoint_id}`)
    assert.equal(computeCheckpointHash(payload, crypto), d.checkpoint_hash)
    const seed = hexToBytes(file!.test_keys[d.signer_kid]!.seed_hex_TEST_ONLY!)!
    const signed = signCheckpoint(cp, createNodeSigner(d.signer_kid, ed25519PrivateKeyFromSeed(seed)), crypto)
    assert.deepEqual(signed, {
      signature_algorithm: 'Ed25519',
      signer_key_id: d.signer_kid,
      checkpoint_payload: cp.checkpoint_payload,
      checkpoint_signature: cp.checkpoint_signature,
      checkpoint_hash: d.checkpoint_hash,
    })
  })
})

test('the 7-event ledger with 3 chained checkpoints is intact, as the SDK found', { skip: skipWithoutVectors }, () => {
  const sdk = file!.sdk_verdict.result
  // Any order in, same verdict: rows are sorted by seq and checkpoint_id.
  const result = verify(entries().reverse(), checkpoints().reverse())
  assert.deepEqual(result, {
    intact: sdk.intact,
    verified_entries: sdk.verifiedEntries,
    verified_checkpoints: sdk.verifiedCheckpoints,
    latest_leaf_hash: sdk.latestLeafHash,
    latest_checkpoint_hash: sdk.latestCheckpointHash,
  })
})

const changes: Record<string, (e: Row[], c: Row[]) => [Row[], Row[]]> = {
  latest_two_checkpoints_only: (e, c) => [e, c.slice(1)],
  chain_prev_hash_broken: (e, c) => {
    c[2]!.prev_checkpoint_hash = '0'.repeat(64)
    return [e, c]
  },
  entries_subset: (e, c) => [e.slice(0, 5), c],
  entry_tool_args_changed: (e, c) => {
    ;(e[1]!.tool_args as Row).amount = 250
    return [e, c]
  },
  checkpoint_hash_changed: (e, c) => {
    c[0]!.checkpoint_hash = 'f'.repeat(64)
    return [e, c]
  },
  receipt_algorithm_other: (e, c) => {
    e[0]!.receipt_algorithm = 'ed25519'
    return [e, c]
  },
}

test('6 chain checks: same verdict and message as the SDK', { skip: skipWithoutVectors }, () => {
  assert.equal(file!.chain_checks.length, 6)
  for (const check of file!.chain_checks) {
    const change = changes[check.name]
    assert.ok(change, `no change defined for ${check.name}`)
    const result = verify(...change(entries(), checkpoints()))
    assert.equal(result.intact, check.sdk_verdict.ok, check.name)
    if (check.sdk_verdict.ok) {
      assert.equal(result.coverage_note, check.sdk_verdict.result!.coverageNote)
      assert.equal(result.verified_entries, check.sdk_verdict.result!.verifiedEntries)
    } else {
      // chain_prev_hash_broken also breaks the signed payload; the chain is checked first, as in the SDK.
      assert.equal(result.error, check.sdk_verdict.message, check.name)
    }
  }
})

test('stricter than the SDK: every covered checkpoint root is checked, and a trusted anchor allows a window', { skip: skipWithoutVectors }, () => {
  // Swap the leaves of seq 1 and 2 and re-sign nothing: the receipts still verify (they bind
  // hashes, not positions) but checkpoint 1's root no longer matches.
  const e = entries()
  ;[e[0]!.leaf_index, e[1]!.leaf_index] = [e[1]!.leaf_index, e[0]!.leaf_index]
  assert.equal(verify(e, checkpoints()).error, 'Ledger checkpoint root mismatch at checkpoint 1')
  const window = verifyLedger(entries(), checkpoints().slice(1), crypto, {
    pinnedJwks: file!.jwks,
    anchorCheckpointHash: checkpoints()[0]!.checkpoint_hash as string,
  })
  assert.equal(window.intact, true, window.error)
  const dup = entries()
  dup[6]!.leaf_index = 5
  assert.match(verify(dup, checkpoints()).error ?? '', /leaf index 5 appears twice/)
})

test('keys come only from the pinned JWKS: without key 2 its receipts fail', { skip: skipWithoutVectors }, () => {
  const result = verifyLedger(entries(), checkpoints(), crypto, { pinnedJwks: { keys: [file!.jwks.keys[0]] } })
  assert.equal(result.error, 'No JWKS key found for kid ledgix-test-key-2')
})
