// Event payload (canonical_version 1, 2, 3), event_hash and leaf_hash (spec §7.2, §7.3). The field
// set per version is fixed by the SDK: a field added or dropped changes every hash clients recompute.
import { bytesToHex, concatBytes, digestFromHex, hexInto, utf8Bytes } from './bytes.ts'
import { CborWriter, compareCborKeys, encodeCborKey, Float64Json } from './cbor.ts'
import type { CborValue } from './cbor.ts'
import type { LedgerHasher } from './crypto.ts'
import { hashLeaf } from './merkle/hash.ts'

export type CanonicalVersion = 1 | 2 | 3

/** The version new events are written with (spec §7.2 "Which version to write"). */
export const CURRENT_CANONICAL_VERSION: CanonicalVersion = 3

export const EVENT_HASH_DOMAIN = 'ledgix.audit.event.v1'
// "ledgix.audit.event.v1" || 0x00, the same prefix for every canonical_version.
const EVENT_PREFIX = concatBytes(utf8Bytes(EVENT_HASH_DOMAIN), new Uint8Array(1))

/** The fields an event hash covers. Optional ones are v2/v3 only; null and absent hash as "" / []. */
export interface EventHashInput {
  readonly canonical_version: number
  readonly event_uuid: string
  readonly request_id: string
  readonly agent_id: string
  readonly policy_id: string
  readonly tool_name: string
  readonly intent_hash: string
  readonly reason: string
  readonly accepted_at: string
  readonly approved: boolean
  readonly confidence: number
  readonly tool_args: unknown
  readonly citations: readonly unknown[]
  readonly evidence_chunks: readonly unknown[]
  readonly confidence_bucket?: string | null | undefined
  readonly decision_status?: string | null | undefined
  readonly rule_set_hash?: string | null | undefined
  readonly eval_inputs_hash?: string | null | undefined
  readonly eval_trace_hash?: string | null | undefined
  readonly classifier_label?: string | null | undefined
  readonly classifier_confidence_bucket?: string | null | undefined
  readonly matched_rule_ids?: readonly string[] | null | undefined
}

export function isCanonicalVersion(value: unknown): value is CanonicalVersion {
  return value === 1 || value === 2 || value === 3
}

/** The payload map before encoding: 14 keys for v1, 16 for v2, 22 for v3. */
export function buildEventPayloadMap(event: EventHashInput): Record<string, CborValue> {
  const version = event.canonical_version
  if (!isCanonicalVersion(version)) throw new RangeError(`unsupported canonical_version ${String(version)}`)
  const map: Record<string, CborValue> = {
    accepted_at: event.accepted_at,
    agent_id: event.agent_id,
    approved: event.approved,
    canonical_version: version,
    citations: new Float64Json(event.citations),
    confidence: event.confidence,
    event_uuid: event.event_uuid,
    evidence_chunks: new Float64Json(event.evidence_chunks),
    intent_hash: event.intent_hash,
    policy_id: event.policy_id,
    reason: event.reason,
    request_id: event.request_id,
    tool_args: new Float64Json(event.tool_args),
    tool_name: event.tool_name,
  }
  if (version >= 2) {
    map.confidence_bucket = event.confidence_bucket ?? ''
    map.decision_status = event.decision_status ?? ''
  }
  if (version === 3) {
    map.rule_set_hash = event.rule_set_hash ?? ''
    map.eval_inputs_hash = event.eval_inputs_hash ?? ''
    map.eval_trace_hash = event.eval_trace_hash ?? ''
    map.classifier_label = event.classifier_label ?? ''
    map.classifier_confidence_bucket = event.classifier_confidence_bucket ?? ''
    map.matched_rule_ids = event.matched_rule_ids ?? []
  }
  return map
}

// The fast encoder below writes the same bytes as encodeCbor(buildEventPayloadMap(event)) (the
// reference, kept for tests: test/ledger/event-encoder.test.ts compares them on the vectors and on
// random events) without building the map: keys pre-encoded in the SDK's order, one reused buffer
// that already holds the hash prefix, hashed in place.

type FieldName = keyof EventHashInput
const V1_FIELDS: readonly FieldName[] = [
  'accepted_at', 'agent_id', 'approved', 'canonical_version', 'citations', 'confidence', 'event_uuid', 'evidence_chunks',
  'intent_hash', 'policy_id', 'reason', 'request_id', 'tool_args', 'tool_name',
]
const V2_FIELDS: readonly FieldName[] = [...V1_FIELDS, 'confidence_bucket', 'decision_status']
const V3_FIELDS: readonly FieldName[] = [
  ...V2_FIELDS, 'rule_set_hash', 'eval_inputs_hash', 'eval_trace_hash', 'classifier_label', 'classifier_confidence_bucket', 'matched_rule_ids',
]
/** How buildEventPayloadMap writes a field: as is, as Float64Json, or null/absent as "" or []. */
const PLAIN = 0
const FLOAT64 = 1
const OR_EMPTY_TEXT = 2
const OR_EMPTY_LIST = 3
function kindOf(name: FieldName): number {
  if (name === 'tool_args' || name === 'citations' || name === 'evidence_chunks') return FLOAT64
  if (name === 'matched_rule_ids') return OR_EMPTY_LIST
  return V1_FIELDS.includes(name) ? PLAIN : OR_EMPTY_TEXT
}
const EMPTY_LIST: readonly never[] = Object.freeze([])

interface EncodedField {
  readonly name: FieldName
  /** CBOR text of the key. */
  readonly key: Uint8Array
  readonly kind: number
}

/** Per version: the map header, then each field in the SDK's key order. */
function layout(fields: readonly FieldName[]): { head: Uint8Array; fields: readonly EncodedField[] } {
  const w = new CborWriter()
  w.head(5, fields.length)
  return {
    head: w.buf.slice(0, w.length),
    fields: [...fields].sort(compareCborKeys).map((name) => ({ name, key: encodeCborKey(name), kind: kindOf(name) })),
  }
}
const LAYOUTS = [layout(V1_FIELDS), layout(V2_FIELDS), layout(V3_FIELDS)] as const

function writeEventPayload(w: CborWriter, event: EventHashInput): void {
  const version = event.canonical_version
  if (!isCanonicalVersion(version)) throw new RangeError(`unsupported canonical_version ${String(version)}`)
  const { head, fields } = LAYOUTS[version - 1]!
  w.raw(head)
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    const v = event[f.name]
    w.raw(f.key)
    // A map's values sit one level below it (depth 1), a Float64Json's content one more (as in writeValue).
    if (typeof v === 'string') w.text(v)
    else if (f.kind === PLAIN) w.value(v, false, 1)
    else if (f.kind === FLOAT64) w.value(v, true, 2)
    else w.value(v ?? (f.kind === OR_EMPTY_TEXT ? '' : EMPTY_LIST), false, 1)
  }
}

let eventWriter = new CborWriter()

/** The event writer holding EVENT_PREFIX || cbor(payload). Valid until the next call. */
function encodeWithPrefix(event: EventHashInput): CborWriter {
  const w = eventWriter
  w.reset()
  w.raw(EVENT_PREFIX)
  writeEventPayload(w, event)
  return w
}

function releaseWriter(w: CborWriter): void {
  if (w.oversized) eventWriter = new CborWriter()
}

/** Deterministic CBOR of the event payload. Throws for an unsupported version or unencodable value. */
export function encodeEventPayload(event: EventHashInput): Uint8Array {
  const w = encodeWithPrefix(event)
  const out = w.buf.slice(EVENT_PREFIX.length, w.length)
  releaseWriter(w)
  return out
}

/** SHA-256("ledgix.audit.event.v1" || 0x00 || cbor(payload)) as bytes. Throws like encodeEventPayload. */
export function eventHashBytes(event: EventHashInput, hasher: LedgerHasher): Uint8Array {
  const w = encodeWithPrefix(event)
  const digest = hasher.sha256(w.buf.subarray(0, w.length))
  releaseWriter(w)
  return digest
}

/** hex(SHA-256("ledgix.audit.event.v1" || 0x00 || cbor(payload))). Throws like encodeEventPayload. */
export function computeEventHash(event: EventHashInput, hasher: LedgerHasher): string {
  return bytesToHex(eventHashBytes(event, hasher))
}

/** hex(SHA-256(0x00 || bytes(event_hash))). Throws TypeError unless event_hash is 64 lowercase hex. */
export function computeLeafHash(eventHashHex: string, hasher: LedgerHasher): string {
  const eventHash = digestFromHex(eventHashHex)
  if (eventHash === undefined) throw new TypeError('event_hash must be 64 lowercase hex characters')
  return bytesToHex(hashLeaf(eventHash, hasher))
}

// 0x00 || event_hash, reused: byte 0 stays 0 and hexInto rewrites the other 32 every call.
const leafInput = new Uint8Array(1 + 32)

/** SHA-256(0x00 || bytes(event_hash)) as bytes, or undefined unless event_hash is 64 lowercase hex. */
export function leafHashBytes(eventHashHex: string, hasher: LedgerHasher): Uint8Array | undefined {
  return hexInto(eventHashHex, leafInput, 1) ? hasher.sha256(leafInput) : undefined
}
