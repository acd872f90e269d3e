// Any single flipped bit in a covered event field, a proof node, a signed checkpoint field or a
// signature makes the bundle not intact. Unsigned metadata (seq, checkpoint_id of the event,
// microblock_id, export_uri/status/exported_at) is informational and deliberately not listed.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { base64urlDecode, base64urlEncode, bytesToHex, hexToBytes, nodeLedgerCrypto, verifyProofBundle } from '../../src/ledger/index.ts'
import { skipWithoutVectors } from '../helpers/vectors.ts'
import { testJwks, vectorBundle } from './bundle-fixtures.ts'
import type { Json } from './bundle-fixtures.ts'

type Kind = 'text' | 'hex' | 'b64' | 'int' | 'float' | 'bool'
const CHECKPOINT_FIELDS: [string, Kind][] = [
  ['tree_size', 'int'], ['root_hash', 'hex'], ['checkpoint_hash', 'hex'], ['prev_checkpoint_hash', 'hex'], ['signed_at', 'text'],
  ['mmd_seconds', 'int'], ['signer_key_id', 'text'], ['checkpoint_payload', 'b64'], ['checkpoint_signature', 'b64'],
]
const TARGETS: [string[], Kind][] = [
  ...(['event_uuid', 'request_id', 'agent_id', 'policy_id', 'tool_name', 'reason', 'accepted_at', 'intent_hash', 'decision_status',
    'confidence_bucket', 'rule_set_hash', 'eval_inputs_hash', 'eval_trace_hash', 'classifier_label', 'classifier_confidence_bucket',
    'receipt_key_id'].map((k): [string[], Kind] => [['event', k], 'text'])),
  [['event', 'event_hash'], 'hex'], [['event', 'leaf_hash'], 'hex'],
  [['event', 'tool_args', 'currency'], 'text'], [['event', 'tool_args', 'amount'], 'float'], [['event', 'tool_args', 'tokens', '1'], 'text'],
  [['event', 'citations', '0', 'rules', '1', 'weight'], 'float'], [['event', 'matched_rule_ids', '0'], 'text'],
  [['event', 'confidence'], 'float'], [['event', 'approved'], 'bool'], [['event', 'canonical_version'], 'int'], [['event', 'leaf_index'], 'int'],
  [['event', 'receipt_payload'], 'b64'], [['event', 'receipt_signature'], 'b64'],
  [['inclusion', 'leaf_index'], 'int'], [['inclusion', 'path', '0'], 'hex'], [['inclusion', 'path', '1'], 'hex'], [['inclusion', 'path', '2'], 'hex'],
  [['consistency', 'path', '0'], 'hex'], [['consistency', 'path', '1'], 'hex'], [['consistency', 'path', '2'], 'hex'], [['consistency', 'path', '3'], 'hex'],
  ...CHECKPOINT_FIELDS.flatMap(([k, kind]): [string[], Kind][] => [
    [['inclusion', 'checkpoint', k], kind], [['consistency', 'from_checkpoint', k], kind], [['consistency', 'to_checkpoint', k], kind],
  ]),
]

function flipValue(value: unknown, kind: Kind, bit: number): unknown {
  switch (kind) {
    case 'bool':
      return !value
    case 'int':
      return (value as number) ^ (1 << bit % 5)
    case 'float': {
      const view = new DataView(new ArrayBuffer(8))
      view.setFloat64(0, value as number)
      const byte = bit % 64 >> 3
      view.setUint8(byte, view.getUint8(byte) ^ (1 << bit % 8))
      return view.getFloat64(0)
    }
    case 'hex':
    case 'b64': {
      const bytes = kind === 'hex' ? hexToBytes(value as string)! : base64urlDecode(value as string)!
      bytes[Math.floor(bit / 8) % bytes.length]! ^= 1 << bit % 8
      return kind === 'hex' ? bytesToHex(bytes) : base64urlEncode(bytes)
    }
    case 'text': {
      // Low 7 bits of one character: an ASCII string stays ASCII, so UTF-8 cannot merge two strings.
      const s = value as string
      const i = Math.floor(bit / 7) % s.length
      return s.slice(0, i) + String.fromCharCode(s.charCodeAt(i) ^ (1 << bit % 7)) + s.slice(i + 1)
    }
  }
}

function mutate(bundle: Json, path: string[], kind: Kind, bit: number): void {
  let parent: any = bundle
  for (const key of path.slice(0, -1)) parent = parent[key]
  const last = path[path.length - 1]!
  parent[last] = flipValue(parent[last], kind, bit)
}

test('the unmodified vector bundle is intact (control)', { skip: skipWithoutVectors }, () => {
  assert.equal(verifyProofBundle(vectorBundle(), nodeLedgerCrypto, { pinnedJwks: testJwks() }).intact, true)
})

test('every target field exists and is non-empty, so no flip is a no-op', { skip: skipWithoutVectors }, () => {
  for (const [path, kind] of TARGETS) {
    let v: any = vectorBundle()
    for (const key of path) v = v[key]
    assert.ok(v !== undefined && v !== null && v !== '', path.join('.'))
    assert.notDeepEqual(flipValue(v, kind, 3), v, path.join('.'))
  }
})

test('any single flipped bit in an event field, proof node, checkpoint field or signature is detected', { skip: skipWithoutVectors }, () => {
  const jwks = testJwks()
  fc.assert(
    fc.property(fc.nat({ max: TARGETS.length - 1 }), fc.nat({ max: 511 }), (t, bit) => {
      const [path, kind] = TARGETS[t]!
      const bundle = vectorBundle()
      mutate(bundle, path, kind, bit)
      const r = verifyProofBundle(bundle, nodeLedgerCrypto, { pinnedJwks: jwks })
      assert.equal(r.intact, false, `${path.join('.')} bit ${bit} went unnoticed`)
    }),
    { numRuns: 300 },
  )
})
