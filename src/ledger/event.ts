// Event payload (canonical_version 1, 2, 3), event_hash and leaf_hash (spec §7.2, §7.3). The field
// set per version is fixed by the SDK: a field added or dropped changes every hash clients recompute.
import { bytesToHex, concatBytes, digestFromHex, utf8Bytes } from './bytes.ts'
import { encodeCbor, Float64Json } from './cbor.ts'
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

/** Deterministic CBOR of the event payload. Throws for an unsupported version or unencodable value. */
export function encodeEventPayload(event: EventHashInput): Uint8Array {
  return encodeCbor(buildEventPayloadMap(event))
}

/** hex(SHA-256("ledgix.audit.event.v1" || 0x00 || cbor(payload))). Throws like encodeEventPayload. */
export function computeEventHash(event: EventHashInput, hasher: LedgerHasher): string {
  return bytesToHex(hasher.sha256(concatBytes(EVENT_PREFIX, encodeEventPayload(event))))
}

/** hex(SHA-256(0x00 || bytes(event_hash))). Throws TypeError unless event_hash is 64 lowercase hex. */
export function computeLeafHash(eventHashHex: string, hasher: LedgerHasher): string {
  const eventHash = digestFromHex(eventHashHex)
  if (eventHash === undefined) throw new TypeError('event_hash must be 64 lowercase hex characters')
  return bytesToHex(hashLeaf(eventHash, hasher))
}
