import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  base64urlDecode,
  base64urlEncode,
  buildEventPayloadMap,
  buildReceiptPayload,
  bytesToHex,
  checkReceiptPayload,
  checkReceiptSignature,
  computeEventHash,
  computeLeafHash,
  createNodeSigner,
  ed25519PrivateKeyFromSeed,
  encodeEventPayload,
  hexToBytes,
  nodeLedgerCrypto,
  parseLedgerEntry,
  signReceipt,
  verifyLedger,
} from '../../src/ledger/index.ts'
import type { LedgerEntry } from '../../src/ledger/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

interface EventVector {
  name: string
  wire_entry: Record<string, unknown>
  hash_input: { cbor_payload_hex: string; cbor_payload_len: number }
  event_hash: string
  leaf_hash: string
  receipt: { signer_kid: string; receipt_payload_cbor_hex: string; receipt_payload_b64url: string; receipt_signature_b64url: string }
  sdk_verdict: { result: { intact: boolean; latestLeafHash: string } }
}
interface Pitfall {
  name: string
  server_hashed_entry: Record<string, unknown>
  served_wire_entry: Record<string, unknown>
  sdk_fetch_then_verify: { ok: boolean; message?: string; result?: { coverageNote?: string } }
}
interface EventsFile {
  test_keys: Record<string, { seed_hex_TEST_ONLY: string; public_hex: string; public_jwk: Record<string, string> }>
  events: EventVector[]
  pitfalls: Pitfall[]
}

const crypto = nodeLedgerCrypto
const file = skipWithoutVectors ? null : loadVector<EventsFile>('ledger-events.json')
// test_keys also holds a "WARNING" string next to the two keys.
const testKeys = () => Object.entries(file!.test_keys).filter(([kid]) => kid.startsWith('ledgix-test-key-'))
const jwks = () => ({ keys: testKeys().map(([, k]) => k.public_jwk) })

function entry(wire: unknown): LedgerEntry {
  const parsed = parseLedgerEntry(wire)
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('; '))
  return parsed.value
}

test('7 events: CBOR payload, event_hash, leaf_hash and receipt payload byte for byte', { skip: skipWithoutVectors }, () => {
  assert.equal(file!.events.length, 7)
  const keyCounts: Record<number, number> = { 1: 14, 2: 16, 3: 22 }
  for (const v of file!.events) {
    const e = entry(v.wire_entry)
    assert.equal(Object.keys(buildEventPayloadMap(e)).length, keyCounts[e.canonical_version], v.name)
    const payload = encodeEventPayload(e)
    assert.equal(payload.length, v.hash_input.cbor_payload_len, v.name)
    assert.equal(bytesToHex(payload), v.hash_input.cbor_payload_hex, v.name)
    assert.equal(computeEventHash(e, crypto), v.event_hash, v.name)
    assert.equal(computeLeafHash(v.event_hash, crypto), v.leaf_hash, v.name)
    assert.equal(bytesToHex(buildReceiptPayload(e)), v.receipt.receipt_payload_cbor_hex, v.name)
    assert.equal(e.receipt_payload, v.receipt.receipt_payload_b64url, v.name)
  }
})

test('receipts: re-signing with the test key reproduces each signature; each verifies', { skip: skipWithoutVectors }, () => {
  for (const v of file!.events) {
    const e = entry(v.wire_entry)
    const key = file!.test_keys[v.receipt.signer_kid]!
    const signer = createNodeSigner(v.receipt.signer_kid, ed25519PrivateKeyFromSeed(hexToBytes(key.seed_hex_TEST_ONLY)!))
    const signed = signReceipt(e, signer)
    assert.deepEqual(signed, {
      receipt_algorithm: 'Ed25519',
      receipt_key_id: v.receipt.signer_kid,
      receipt_payload: v.receipt.receipt_payload_b64url,
      receipt_signature: v.receipt.receipt_signature_b64url,
    })
    assert.equal(checkReceiptPayload(e), null)
    assert.equal(checkReceiptSignature(e, hexToBytes(key.public_hex)!, crypto), null)
    // The other test key must not verify it.
    const other = testKeys().find(([kid]) => kid !== v.receipt.signer_kid)![1]
    assert.match(checkReceiptSignature(e, hexToBytes(other.public_hex)!, crypto) ?? '', /does not verify/)
  }
})

test('each event alone verifies like the SDK verdict (intact, latest leaf)', { skip: skipWithoutVectors }, () => {
  for (const v of file!.events) {
    const result = verifyLedger([v.wire_entry], [], crypto, { pinnedJwks: jwks() })
    assert.equal(result.intact, v.sdk_verdict.result.intact, `${v.name}: ${result.error}`)
    assert.equal(result.latest_leaf_hash, v.sdk_verdict.result.latestLeafHash)
  }
})

test('a receipt payload with a changed byte or a re-encoded signature is refused', { skip: skipWithoutVectors }, () => {
  const e = entry(file!.events[0]!.wire_entry)
  const payload = base64urlDecode(e.receipt_payload)!
  payload[payload.length - 1]! ^= 1
  assert.match(checkReceiptPayload({ ...e, receipt_payload: base64urlEncode(payload) }) ?? '', /differs/)
  assert.match(checkReceiptPayload({ ...e, receipt_payload: e.receipt_payload + '=' }) ?? '', /base64url/)
})

// What the SDK sees: fetchLedger() camelCases every nested key, and its schema defaults an absent
// confidence/approved to 0/false (spec §7.2 pitfalls).
function sdkView(wire: Record<string, unknown>): Record<string, unknown> {
  const camel = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(camel)
    if (v === null || typeof v !== 'object') return v
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()), camel(x)]))
  }
  return {
    ...wire,
    confidence: wire.confidence ?? 0,
    approved: wire.approved ?? false,
    tool_args: camel(wire.tool_args ?? {}),
    citations: camel(wire.citations ?? []),
    evidence_chunks: camel(wire.evidence_chunks ?? []),
  }
}

test('pitfalls: the server hashed correctly; what the SDK sees reproduces each SDK verdict', { skip: skipWithoutVectors }, () => {
  assert.equal(file!.pitfalls.length, 3)
  for (const p of file!.pitfalls) {
    const server = entry(p.server_hashed_entry)
    assert.equal(computeEventHash(server, crypto), server.event_hash, p.name)
    const served = entry(sdkView(p.served_wire_entry))
    // The SDK recomputes only when intent_hash is non-empty; otherwise it checks leaf + receipt.
    const sdkAccepts = served.intent_hash === ''
      ? computeLeafHash(served.event_hash, crypto) === served.leaf_hash && checkReceiptPayload(served) === null
      : computeEventHash(served, crypto) === served.event_hash
    assert.equal(sdkAccepts, p.sdk_fetch_then_verify.ok, p.name)
  }
})

test('pitfalls through our verifier: snake_case keys pass (we never camelCase), omitted fields fail, redacted passes with a note', { skip: skipWithoutVectors }, () => {
  const [snake, redacted, omitted] = file!.pitfalls
  const ours = (p: Pitfall) => verifyLedger([p.served_wire_entry], [], crypto, { pinnedJwks: jwks() })
  assert.equal(ours(snake!).intact, true)
  const r = ours(redacted!)
  assert.equal(r.intact, true)
  assert.equal(r.coverage_note, redacted!.sdk_fetch_then_verify.result!.coverageNote)
  assert.equal(ours(omitted!).error, omitted!.sdk_fetch_then_verify.message)
})
