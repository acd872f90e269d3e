// The verifier's allocation-free paths against the reference spellings they replace: the event
// encoder (pre-encoded keys, one buffer) against encodeCbor(buildEventPayloadMap(…)), the receipt
// template against encodeCbor of the object, receiptPayloadMatches against checkReceiptPayload, and
// the byte comparisons against bytesToHex / base64urlDecode — byte for byte, error for error.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  base64urlDecode,
  base64urlEncode,
  buildEventPayloadMap,
  buildReceiptPayload,
  bytesToHex,
  checkReceiptPayload,
  computeEventHash,
  encodeCbor,
  encodeEventPayload,
  hexToBytes,
  nodeLedgerCrypto,
  parseLedgerEntry,
} from '../../src/ledger/index.ts'
import type { EventHashInput, LedgerEntry, ReceiptRow } from '../../src/ledger/index.ts'
import { base64urlMatches, bytesEqualHex, hexInto } from '../../src/ledger/bytes.ts'
import { eventHashBytes, leafHashBytes } from '../../src/ledger/event.ts'
import { receiptPayloadMatches } from '../../src/ledger/receipt.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

const RUNS = 300

/** The reference: build the map, encode it with the general encoder. */
function reference(e: EventHashInput): Uint8Array {
  return encodeCbor(buildEventPayloadMap(e))
}

/** Both sides' outcome, bytes or the error (class and message), so failures must agree too. */
function outcome(f: () => Uint8Array): string {
  try {
    return bytesToHex(f())
  } catch (err) {
    return `${(err as Error).name}: ${(err as Error).message}`
  }
}

test('ledger-events.json: the fast event encoder equals the reference and the vector bytes', { skip: skipWithoutVectors }, () => {
  const { events } = loadVector<{ events: Array<{ name: string; wire_entry: unknown; hash_input: { cbor_payload_hex: string } }> }>('ledger-events.json')
  for (const v of events) {
    const parsed = parseLedgerEntry(v.wire_entry)
    assert.ok(parsed.ok)
    assert.equal(bytesToHex(encodeEventPayload(parsed.value)), v.hash_input.cbor_payload_hex, v.name)
    assert.equal(bytesToHex(reference(parsed.value)), v.hash_input.cbor_payload_hex, v.name)
  }
})

// Strings with any UTF-16 code units (lone surrogates included, which both sides must refuse alike).
const text = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 20 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 12 }), weight: 1 },
  { arbitrary: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 }), weight: 10 },
)
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.double(),
    fc.integer(),
    fc.constant(-0),
    text,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value
const optional = (arb: fc.Arbitrary<unknown>) => fc.oneof(arb, fc.constant(null), fc.constant(undefined))

const eventInput = fc.record(
  {
    canonical_version: fc.oneof({ arbitrary: fc.constantFrom(1, 2, 3), weight: 10 }, { arbitrary: fc.constantFrom(0, 4, 2.5), weight: 1 }),
    event_uuid: text, request_id: text, agent_id: text, policy_id: text, tool_name: text, intent_hash: text, reason: text, accepted_at: text,
    approved: fc.boolean(),
    confidence: fc.oneof(fc.double(), fc.integer(), fc.constant(2 ** 53)),
    tool_args: json,
    citations: fc.array(json, { maxLength: 3 }),
    evidence_chunks: fc.array(json, { maxLength: 3 }),
    confidence_bucket: optional(text), decision_status: optional(text), rule_set_hash: optional(text), eval_inputs_hash: optional(text),
    eval_trace_hash: optional(text), classifier_label: optional(text), classifier_confidence_bucket: optional(text),
    matched_rule_ids: optional(fc.array(text, { maxLength: 3 })),
  },
  { requiredKeys: ['canonical_version', 'event_uuid', 'request_id', 'agent_id', 'policy_id', 'tool_name', 'intent_hash', 'reason', 'accepted_at', 'approved', 'confidence', 'tool_args', 'citations', 'evidence_chunks'] },
) as fc.Arbitrary<EventHashInput>

test('random events (v1/v2/v3, bad versions, NaN, lone surrogates): fast bytes and errors equal the reference', () => {
  fc.assert(
    fc.property(eventInput, (e) => {
      const fast = outcome(() => encodeEventPayload(e))
      assert.equal(fast, outcome(() => reference(e)))
      // The hash path (prefix written once, hashed in place) hashes exactly those bytes.
      if (!fast.includes(':')) {
        const prefixed = new Uint8Array([...new TextEncoder().encode('ledgix.audit.event.v1'), 0, ...hexToBytes(fast)!])
        assert.equal(bytesToHex(eventHashBytes(e, nodeLedgerCrypto)), bytesToHex(nodeLedgerCrypto.sha256(prefixed)))
        assert.equal(computeEventHash(e, nodeLedgerCrypto), bytesToHex(nodeLedgerCrypto.sha256(prefixed)))
      }
    }),
    { numRuns: RUNS },
  )
})

test('leafHashBytes is H(0x00 || event_hash) for lowercase hex digests and refuses anything else', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.string({ maxLength: 70 }), (digest, junk) => {
      const hex = bytesToHex(digest)
      assert.equal(bytesToHex(leafHashBytes(hex, nodeLedgerCrypto)!), bytesToHex(nodeLedgerCrypto.sha256(new Uint8Array([0, ...digest]))))
      assert.equal(leafHashBytes(hex.toUpperCase(), nodeLedgerCrypto) === undefined, /[a-f]/.test(hex))
      const valid = /^[0-9a-f]{64}$/.test(junk)
      assert.equal(leafHashBytes(junk, nodeLedgerCrypto) !== undefined, valid)
    }),
    { numRuns: RUNS },
  )
})

const receiptFields = fc.record({
  accepted_at: text, event_hash: text, event_uuid: text, leaf_hash: text, receipt_key_id: text, request_id: text,
})

function referenceReceipt(f: { accepted_at: string; event_hash: string; event_uuid: string; leaf_hash: string; receipt_key_id: string; request_id: string }): Uint8Array {
  return encodeCbor({ ...f, type: 'event_receipt', version: 1 })
}

/** Ways a stored receipt_payload text can differ from the canonical one. */
function mutations(good: string, other: string): string[] {
  const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1)
  return [good, flip(good, 0), flip(good, good.length - 1), good + 'A', good.slice(0, -1), good + '=', good.replaceAll('-', '+'), `${good} `, other, '']
}

test('receipt payload: the template equals encodeCbor of the object; receiptPayloadMatches ⇔ checkReceiptPayload passes', () => {
  fc.assert(
    fc.property(receiptFields, receiptFields, (f, g) => {
      assert.equal(outcome(() => buildReceiptPayload(f)), outcome(() => referenceReceipt(f)))
      let good: string
      try {
        good = base64urlEncode(referenceReceipt(f))
      } catch {
        // Unencodable fields (a lone surrogate): the fast check refuses, as the reference does.
        const row = { ...f, receipt_algorithm: 'Ed25519', receipt_payload: 'AA', receipt_signature: '' } satisfies ReceiptRow
        assert.notEqual(checkReceiptPayload(row), null)
        assert.equal(receiptPayloadMatches('AA', f.accepted_at, f.event_hash, f.event_uuid, f.leaf_hash, f.receipt_key_id, f.request_id), null)
        return
      }
      let other = ''
      try {
        other = base64urlEncode(referenceReceipt(g))
      } catch {
        // g unencodable: compare against junk instead.
      }
      for (const stored of mutations(good, other)) {
        const row = { ...f, receipt_algorithm: 'Ed25519', receipt_payload: stored, receipt_signature: '' } satisfies ReceiptRow
        const fast = receiptPayloadMatches(stored, f.accepted_at, f.event_hash, f.event_uuid, f.leaf_hash, f.receipt_key_id, f.request_id)
        assert.equal(fast !== null, checkReceiptPayload(row) === null, JSON.stringify(stored))
        if (fast !== null) assert.equal(base64urlEncode(fast.buf.subarray(0, fast.length)), stored)
      }
    }),
    { numRuns: RUNS },
  )
})

test('bytesEqualHex, hexInto and base64urlMatches agree with the allocating spellings', () => {
  const hexish = fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxg'), maxLength: 20 })
  const b64ish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/= '), maxLength: 24 })
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 16 }), hexish, b64ish, (bytes, hex, b64) => {
      assert.equal(bytesEqualHex(bytes, bytesToHex(bytes)), true)
      assert.equal(bytesEqualHex(bytes, hex), bytesToHex(bytes) === hex)
      const out = new Uint8Array(1 + hex.length / 2)
      const decoded = hexToBytes(hex)
      if (Number.isInteger(hex.length / 2)) {
        assert.equal(hexInto(hex, out, 1), decoded !== undefined)
        if (decoded !== undefined) assert.deepEqual(out.subarray(1), decoded)
      }
      assert.equal(base64urlMatches(base64urlEncode(bytes), bytes, bytes.length), true)
      const d = base64urlDecode(b64)
      const same = d !== undefined && d.length === bytes.length && d.every((v, i) => v === bytes[i])
      assert.equal(base64urlMatches(b64, bytes, bytes.length), same)
      // A text that does decode is matched against exactly its own bytes.
      if (d !== undefined) assert.equal(base64urlMatches(b64, d, d.length), true)
    }),
    { numRuns: RUNS * 3 },
  )
})

test('the verifier paths agree on the entries /ledger serves (snake_case LedgerEntry)', () => {
  const e = {
    canonical_version: 3, event_uuid: 'u', request_id: 'r', agent_id: 'a', policy_id: 'p', tool_name: 't', intent_hash: 'ab'.repeat(32), reason: 'é ok',
    accepted_at: '2027-01-15T08:00:00.000Z', approved: true, confidence: 0.95, tool_args: { amount: 1, nested: { b: [1, 2.5, -0] } }, citations: [], evidence_chunks: [],
    confidence_bucket: 'high', decision_status: 'approved', rule_set_hash: '', eval_inputs_hash: '', eval_trace_hash: '', classifier_label: '',
    classifier_confidence_bucket: '', matched_rule_ids: ['r1', 'r2'],
  } satisfies Partial<LedgerEntry> & EventHashInput
  assert.equal(bytesToHex(encodeEventPayload(e)), bytesToHex(reference(e)))
})
