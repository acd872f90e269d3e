// One strict parser per ledger JSON shape (spec §7.6; types in wire-types.ts): applies the spec's
// defaults and lists every problem with its JSON path. Unknown fields are ignored (as the SDK's
// schemas do); `null` where the spec says "not nullable" is an error.

import type {
  ConsistencyProof,
  InclusionProof,
  JsonObject,
  KeyVersion,
  LedgerCheckpoint,
  LedgerEntry,
  ProofBundle,
} from './wire-types.ts'

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] }

/** mmd_seconds when a checkpoint omits it (spec §7.6). */
export const DEFAULT_MMD_SECONDS = 30

const MISSING = Symbol('missing')

/** Reads fields of one object, recording every problem under its JSON path. */
class Fields {
  readonly #o: JsonObject
  readonly #at: string
  readonly #errors: string[]

  constructor(o: JsonObject, at: string, errors: string[]) {
    this.#o = o
    this.#at = at
    this.#errors = errors
  }

  path(key: string): string {
    return this.#at === '' ? key : `${this.#at}.${key}`
  }

  raw(key: string): unknown {
    return Object.hasOwn(this.#o, key) ? this.#o[key] : MISSING
  }

  fail(key: string, expected: string, got: unknown): void {
    this.#errors.push(`${this.path(key)}: expected ${expected}, got ${describe(got)}`)
  }

  string(key: string, fallback?: string): string {
    const v = this.raw(key)
    if (typeof v === 'string') return v
    if (v === MISSING && fallback !== undefined) return fallback
    this.fail(key, 'a string', v)
    return ''
  }

  nullableString(key: string): string | null {
    const v = this.raw(key)
    if (v === MISSING || v === null) return null
    if (typeof v === 'string') return v
    this.fail(key, 'a string or null', v)
    return null
  }

  number(key: string, fallback?: number): number {
    const v = this.raw(key)
    if (typeof v === 'number' && Number.isFinite(v)) return v
    if (v === MISSING && fallback !== undefined) return fallback
    this.fail(key, 'a number', v)
    return 0
  }

  /** Sizes, indexes, ids and versions: safe non-negative integers. */
  count(key: string, fallback?: number): number {
    const v = this.raw(key)
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v
    if (v === MISSING && fallback !== undefined) return fallback
    this.fail(key, 'a non-negative integer', v)
    return 0
  }

  nullableCount(key: string): number | null {
    const v = this.raw(key)
    return v === MISSING || v === null ? null : this.count(key)
  }

  boolean(key: string, fallback: boolean): boolean {
    const v = this.raw(key)
    if (typeof v === 'boolean') return v
    if (v === MISSING) return fallback
    this.fail(key, 'a boolean', v)
    return fallback
  }

  object(key: string, fallback?: JsonObject): JsonObject {
    const v = this.raw(key)
    if (isObject(v)) return v
    if (v === MISSING && fallback !== undefined) return fallback
    this.fail(key, 'an object', v)
    return {}
  }

  objects(key: string): JsonObject[] {
    const v = this.raw(key)
    if (v === MISSING) return []
    if (!Array.isArray(v)) return this.fail(key, 'an array of objects', v), []
    v.forEach((item, i) => {
      if (!isObject(item)) this.fail(`${key}[${i}]`, 'an object', item)
    })
    return v as JsonObject[]
  }

  strings(key: string, nullable: boolean): string[] | null {
    const v = this.raw(key)
    if (v === MISSING) return nullable ? null : []
    if (v === null && nullable) return null
    if (!Array.isArray(v)) return this.fail(key, 'an array of strings', v), []
    v.forEach((item, i) => {
      if (typeof item !== 'string') this.fail(`${key}[${i}]`, 'a string', item)
    })
    return v as string[]
  }

  optionalString(key: string): string | undefined {
    const v = this.raw(key)
    if (v === MISSING) return undefined
    if (typeof v === 'string') return v
    this.fail(key, 'a string (or the field omitted)', v)
    return undefined
  }
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function describe(v: unknown): string {
  if (v === MISSING) return 'nothing (field missing)'
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return v.length > 40 ? 'a string' : JSON.stringify(v)
  if (typeof v === 'number') return String(v)
  return typeof v === 'object' ? 'an object' : typeof v
}

function readEntry(f: Fields): LedgerEntry {
  return {
    seq: f.number('seq'),
    event_uuid: f.string('event_uuid'),
    request_id: f.string('request_id'),
    agent_id: f.string('agent_id'),
    policy_id: f.string('policy_id'),
    tool_name: f.string('tool_name'),
    accepted_at: f.string('accepted_at'),
    event_hash: f.string('event_hash'),
    leaf_hash: f.string('leaf_hash'),
    intent_hash: f.string('intent_hash', ''),
    tool_args: f.object('tool_args', {}),
    reason: f.string('reason', ''),
    citations: f.objects('citations'),
    evidence_chunks: f.objects('evidence_chunks'),
    confidence: f.number('confidence', 0),
    approved: f.boolean('approved', false),
    canonical_version: f.count('canonical_version', 1),
    confidence_bucket: f.nullableString('confidence_bucket'),
    decision_status: f.nullableString('decision_status'),
    leaf_index: f.nullableCount('leaf_index'),
    checkpoint_id: f.nullableCount('checkpoint_id'),
    receipt_algorithm: f.string('receipt_algorithm', ''),
    receipt_key_id: f.string('receipt_key_id', ''),
    receipt_signature: f.string('receipt_signature', ''),
    receipt_payload: f.string('receipt_payload', ''),
    rule_set_hash: f.nullableString('rule_set_hash'),
    eval_inputs_hash: f.nullableString('eval_inputs_hash'),
    eval_trace_hash: f.nullableString('eval_trace_hash'),
    classifier_label: f.nullableString('classifier_label'),
    matched_rule_ids: f.strings('matched_rule_ids', true),
    classifier_confidence_bucket: f.nullableString('classifier_confidence_bucket'),
  }
}

function readCheckpoint(f: Fields): LedgerCheckpoint {
  const cp: LedgerCheckpoint = {
    checkpoint_id: f.count('checkpoint_id'),
    microblock_id: f.count('microblock_id'),
    tree_size: f.count('tree_size'),
    root_hash: f.string('root_hash'),
    checkpoint_hash: f.string('checkpoint_hash'),
    signed_at: f.string('signed_at'),
    prev_checkpoint_hash: f.string('prev_checkpoint_hash', ''),
    signature_algorithm: f.string('signature_algorithm', ''),
    signer_key_id: f.string('signer_key_id', ''),
    checkpoint_signature: f.string('checkpoint_signature', ''),
    checkpoint_payload: f.string('checkpoint_payload', ''),
    export_target: f.string('export_target', ''),
    export_uri: f.string('export_uri', ''),
    export_status: f.string('export_status', ''),
    mmd_seconds: f.count('mmd_seconds', DEFAULT_MMD_SECONDS),
  }
  const exportedAt = f.optionalString('exported_at')
  if (exportedAt !== undefined) cp.exported_at = exportedAt
  return cp
}

function readKey(f: Fields): KeyVersion {
  const key: KeyVersion = {
    key_id: f.string('key_id'),
    algorithm: f.string('algorithm'),
    active_from: f.string('active_from'),
    public_jwk: f.string('public_jwk', ''),
    attestation_payload: f.string('attestation_payload', ''),
    attestation_signature: f.string('attestation_signature', ''),
    attestation_key_id: f.string('attestation_key_id', ''),
    attestation_status: f.string('attestation_status', ''),
  }
  const retiredAt = f.optionalString('retired_at')
  if (retiredAt !== undefined) key.retired_at = retiredAt
  return key
}

/** Read a nested object field with `read`, or record why it cannot be read. */
function nested<T>(f: Fields, key: string, errors: string[], read: (f: Fields, errors: string[]) => T | undefined): T | undefined {
  const v = f.raw(key)
  if (!isObject(v)) return f.fail(key, 'an object', v), undefined
  return read(new Fields(v, f.path(key), errors), errors)
}

function parseWith<T>(value: unknown, at: string, read: (f: Fields, errors: string[]) => T | undefined): ParseResult<T> {
  const errors: string[] = []
  if (!isObject(value)) return { ok: false, errors: [`${at || '(root)'}: expected an object, got ${describe(value)}`] }
  const parsed = read(new Fields(value, at, errors), errors)
  return errors.length === 0 && parsed !== undefined ? { ok: true, value: parsed } : { ok: false, errors }
}

export function parseLedgerEntry(value: unknown, at = ''): ParseResult<LedgerEntry> {
  return parseWith(value, at, readEntry)
}

export function parseLedgerCheckpoint(value: unknown, at = ''): ParseResult<LedgerCheckpoint> {
  return parseWith(value, at, readCheckpoint)
}

export function parseKeyVersion(value: unknown, at = ''): ParseResult<KeyVersion> {
  return parseWith(value, at, readKey)
}

function readInclusion(f: Fields, errors: string[]): InclusionProof | undefined {
  const checkpoint = nested(f, 'checkpoint', errors, readCheckpoint)
  const proof = {
    event_uuid: f.string('event_uuid'),
    request_id: f.string('request_id'),
    event_hash: f.string('event_hash'),
    leaf_hash: f.string('leaf_hash'),
    leaf_index: f.count('leaf_index'),
    tree_size: f.count('tree_size'),
    path: f.strings('path', false) ?? [],
  }
  return checkpoint === undefined ? undefined : { ...proof, checkpoint }
}

function readConsistency(f: Fields, errors: string[]): ConsistencyProof | undefined {
  const from = nested(f, 'from_checkpoint', errors, readCheckpoint)
  const to = nested(f, 'to_checkpoint', errors, readCheckpoint)
  const path = f.strings('path', false) ?? []
  return from === undefined || to === undefined ? undefined : { from_checkpoint: from, to_checkpoint: to, path }
}

function readBundle(f: Fields, errors: string[]): ProofBundle | undefined {
  const event = nested(f, 'event', errors, readEntry)
  const inclusion = nested(f, 'inclusion', errors, readInclusion)
  // Spec §7.6: omit consistency when absent; `null` is a parse error for the SDK, and for us.
  const consistency = f.raw('consistency') === MISSING ? undefined : nested(f, 'consistency', errors, readConsistency)
  const keys: KeyVersion[] = []
  const rawKeys = f.raw('keys')
  if (Array.isArray(rawKeys)) {
    rawKeys.forEach((k, i) => {
      if (isObject(k)) keys.push(readKey(new Fields(k, f.path(`keys[${i}]`), errors)))
      else f.fail(`keys[${i}]`, 'an object', k)
    })
  } else if (rawKeys !== MISSING) {
    f.fail('keys', 'an array', rawKeys)
  }
  if (event === undefined || inclusion === undefined) return undefined
  return consistency === undefined ? { event, inclusion, keys } : { event, inclusion, consistency, keys }
}

/** Schema-check a proof bundle (spec §7.6, the `GET /ledger/proof/bundle` body). */
export function parseProofBundle(value: unknown): ParseResult<ProofBundle> {
  return parseWith(value, '', readBundle)
}
