// A re-implementation, written from spec §3 and §7.8 (we do not have the client's code), of what the
// real Ledgix TypeScript client does with our ledger: fetchLedger() / fetchLedgerCheckpoints() camelCase
// every key of the response recursively and parse it with the client's zod models (here: its own
// JSON Schemas from client-schemas.json, renamed to camelCase, defaults applied), and
// verifyLedgerProof() checks the rows and checkpoints in the spec's order and THROWS on the first
// failure. It recomputes the event hash from the camelCased row, nested keys included: the pitfall
// that makes a full row with `customer_id` fail (spec §7.2). Byte formats (CBOR payloads, Merkle root)
// use our vector-tested encoders; keys and signatures go through node:crypto directly.
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import {
  base64urlDecode,
  buildCheckpointPayload,
  buildReceiptPayload,
  bytesToHex,
  computeCheckpointHash,
  computeEventHash,
  hexToBytes,
  merkleRoot,
  nodeLedgerCrypto,
} from '../../src/ledger/index.ts'
import { loadVector } from './vectors.ts'

type Obj = Record<string, any>

/**
 * The client's response key rewrite (spec §1): `_x` → `X` for an ASCII lowercase letter x only
 * (`customer_id` → `customerId`, `line_1` stays), on every key of every nested object, including
 * objects that sit directly in an array, but not objects inside an array nested in an array (the
 * request-side rule's exception; arrays of arrays pass through untouched).
 */
export function camelKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((item) => (typeof item === 'object' && item !== null && !Array.isArray(item) ? camelObject(item as Obj) : item))
  if (typeof v !== 'object' || v === null) return v
  return camelObject(v as Obj)
}

function camelObject(o: Obj): Obj {
  const out: Obj = {}
  for (const [k, x] of Object.entries(o)) out[k.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase())] = camelKeys(x)
  return out
}

/** A schema with camelCase property names: what zod sees after the rewrite. */
function camelSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(camelSchema)
  if (typeof s !== 'object' || s === null) return s
  const out: Obj = {}
  for (const [k, x] of Object.entries(s as Obj)) {
    if (k === '$schema') continue
    if (k === 'properties') out[k] = camelKeys(Object.fromEntries(Object.entries(x as Obj).map(([p, ps]) => [p, camelSchema(ps)])))
    else if (k === 'required') out[k] = (x as string[]).map((r) => camelKeys({ [r]: 0 }) as Obj).map((o) => Object.keys(o)[0])
    else out[k] = camelSchema(x)
  }
  return out
}

/** The client's ZodError stand-in: the parse failed, so the whole call throws. */
export class ClientParseError extends Error {}

/** Thrown by verifyLedgerProof, as the client's TokenVerificationError. */
export class ClientVerificationError extends Error {}

/** The client's response models (client-schemas.json), by name. */
export type ClientModel =
  | 'ClearanceResponse' | 'PolicyRegistrationResponse' | 'LedgerEntry' | 'LedgerCheckpoint' | 'LedgerKeyVersion'
  | 'InclusionProof' | 'ConsistencyProof' | 'LedgerProofBundle'

let compiled: Map<string, ValidateFunction> | null = null
function model(name: ClientModel): ValidateFunction {
  if (compiled === null) {
    const { schemas } = loadVector<{ schemas: Record<string, unknown> }>('client-schemas.json')
    // useDefaults: zod fills the `.default()`s (intent_hash "", confidence 0, approved false, …).
    const ajv = new Ajv({ strict: false, useDefaults: true, allErrors: true })
    compiled = new Map(Object.entries(schemas).map(([k, schema]) => [k, ajv.compile(camelSchema(schema) as object)]))
  }
  const v = compiled.get(name)
  if (v === undefined) throw new Error(`client-schemas.json has no ${name}`)
  return v
}

function parser(): { entry: ValidateFunction; checkpoint: ValidateFunction } {
  return { entry: model('LedgerEntry'), checkpoint: model('LedgerCheckpoint') }
}

/**
 * Any single-object body the client parses (clearance, register-policy, inclusion, consistency,
 * bundle): camelCased recursively, then its zod model (defaults applied); throws ClientParseError.
 */
export function clientParse(name: ClientModel, body: unknown): Obj {
  const camel = camelKeys(body) as Obj
  const validate = model(name)
  if (!validate(camel)) throw new ClientParseError(`${name}: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
  return camel
}

function parseList(body: unknown, key: 'entries' | 'checkpoints', validate: ValidateFunction): Obj[] {
  const camel = camelKeys(body) as Obj
  const list: unknown = camel?.[key]
  if (!Array.isArray(list)) return [] // spec §3: a missing array reads as an empty list
  for (const [i, item] of list.entries()) {
    if (!validate(item)) throw new ClientParseError(`${key}[${i}]: ${JSON.stringify(validate.errors?.slice(0, 3))}`)
  }
  return list as Obj[]
}

/** fetchLedger(): the `GET /ledger` body → parsed, camelCased entries (throws ClientParseError). */
export function clientParseLedger(body: unknown): Obj[] {
  return parseList(body, 'entries', parser().entry)
}

/** fetchLedgerCheckpoints(): the `GET /ledger/checkpoints` body → parsed checkpoints. */
export function clientParseCheckpoints(body: unknown): Obj[] {
  return parseList(body, 'checkpoints', parser().checkpoint)
}

export interface ClientVerification {
  intact: true
  verifiedEntries: number
  verifiedCheckpoints: number
  latestLeafHash: string | null
  latestCheckpointHash: string | null
  coverageNote?: string
}

const sha256 = (b: Uint8Array): Uint8Array => createHash('sha256').update(b).digest()

function jwksKeys(jwks: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>()
  for (const jwk of ((jwks as Obj)?.keys ?? []) as Obj[]) {
    if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519' && typeof jwk.kid === 'string') keys.set(jwk.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }))
  }
  return keys
}

function signatureOk(keys: Map<string, KeyObject>, kid: string, payload: Uint8Array, signatureB64: string): boolean {
  const key = keys.get(kid)
  // The client's message for a kid its keys lack (proof-bundle.json `keys_missing_signer`).
  if (key === undefined) throw new ClientVerificationError(`No JWKS key found for kid ${kid}`)
  const sig = base64urlDecode(signatureB64)
  return sig !== undefined && verifySignature(null, payload, key, sig)
}

/** The event hash the client recomputes: its camelCased fields mapped onto the spec §7.2 payload. */
function clientEventHash(e: Obj): string {
  return computeEventHash({
    canonical_version: e.canonicalVersion, event_uuid: e.eventUuid, request_id: e.requestId, agent_id: e.agentId, policy_id: e.policyId,
    tool_name: e.toolName, intent_hash: e.intentHash, reason: e.reason, accepted_at: e.acceptedAt, approved: e.approved, confidence: e.confidence,
    tool_args: e.toolArgs, citations: e.citations, evidence_chunks: e.evidenceChunks, confidence_bucket: e.confidenceBucket,
    decision_status: e.decisionStatus, rule_set_hash: e.ruleSetHash, eval_inputs_hash: e.evalInputsHash, eval_trace_hash: e.evalTraceHash,
    classifier_label: e.classifierLabel, classifier_confidence_bucket: e.classifierConfidenceBucket, matched_rule_ids: e.matchedRuleIds,
  }, nodeLedgerCrypto)
}

/** verifyLedgerProof(entries, checkpoints) as spec §7.8 describes it, step by step. */
export function clientVerifyLedgerProof(entries: Obj[], checkpoints: Obj[], jwks: unknown): ClientVerification {
  const keys = jwksKeys(jwks) // step 1: keys only from the JWKS
  const notes: string[] = []
  let redacted = 0
  let latestLeafHash: string | null = null
  for (const e of [...entries].sort((a, b) => a.seq - b.seq)) { // step 2
    if (e.intentHash !== '') {
      if (clientEventHash(e) !== e.eventHash) throw new ClientVerificationError(`Ledger event hash mismatch at seq ${e.seq}`)
    } else {
      redacted++
    }
    const eventHash = hexToBytes(e.eventHash)
    if (eventHash === undefined || bytesToHex(sha256(Uint8Array.of(0, ...eventHash))) !== e.leafHash) throw new ClientVerificationError(`Ledger leaf hash mismatch at seq ${e.seq}`)
    if (e.receiptAlgorithm !== 'Ed25519') throw new ClientVerificationError(`Unsupported ledger receipt algorithm ${e.receiptAlgorithm}`)
    const receipt = buildReceiptPayload({ accepted_at: e.acceptedAt, event_hash: e.eventHash, event_uuid: e.eventUuid, leaf_hash: e.leafHash, receipt_key_id: e.receiptKeyId, request_id: e.requestId })
    if (Buffer.from(receipt).toString('base64url') !== e.receiptPayload) throw new ClientVerificationError(`Ledger receipt payload mismatch at seq ${e.seq}`)
    if (!signatureOk(keys, e.receiptKeyId, receipt, e.receiptSignature)) throw new ClientVerificationError(`Ledger receipt signature invalid at seq ${e.seq}`)
    latestLeafHash = e.leafHash
  }
  let prev = ''
  let latest: Obj | null = null
  for (const c of [...checkpoints].sort((a, b) => a.checkpointId - b.checkpointId)) { // step 3
    if (c.prevCheckpointHash !== prev) throw new ClientVerificationError(`Ledger checkpoint chain broken at checkpoint ${c.checkpointId}`)
    if (c.signatureAlgorithm !== 'Ed25519') throw new ClientVerificationError(`Unsupported checkpoint signature algorithm ${c.signatureAlgorithm}`)
    const payload = buildCheckpointPayload({
      export_target: c.exportTarget, signer_key_id: c.signerKeyId, mmd_seconds: c.mmdSeconds, prev_checkpoint_hash: c.prevCheckpointHash,
      root_hash: c.rootHash, signed_at: c.signedAt, tree_size: c.treeSize,
    })
    if (Buffer.from(payload).toString('base64url') !== c.checkpointPayload) throw new ClientVerificationError(`Ledger checkpoint payload mismatch at checkpoint ${c.checkpointId}`)
    if (computeCheckpointHash(payload, nodeLedgerCrypto) !== c.checkpointHash) throw new ClientVerificationError(`Ledger checkpoint hash mismatch at checkpoint ${c.checkpointId}`)
    if (!signatureOk(keys, c.signerKeyId, payload, c.checkpointSignature)) throw new ClientVerificationError(`Ledger checkpoint signature invalid at checkpoint ${c.checkpointId}`)
    prev = c.checkpointHash
    latest = c
  }
  if (latest !== null) { // step 4: the latest checkpoint's root, when the covered set is complete
    const sequenced = entries.filter((e) => e.leafIndex !== null && e.leafIndex !== undefined).sort((a, b) => a.leafIndex - b.leafIndex)
    if (sequenced.length === latest.treeSize) {
      const root = bytesToHex(merkleRoot(sequenced.map((e) => hexToBytes(e.leafHash)!), nodeLedgerCrypto))
      if (root !== latest.rootHash) throw new ClientVerificationError('Latest checkpoint root does not match sequenced leaf hashes')
    } else {
      notes.push(`Provided ${sequenced.length} sequenced entries for tree size ${latest.treeSize}; full root verification requires the complete covered set.`)
    }
  }
  if (redacted > 0) {
    notes.unshift(`Event-body hash recomputation was skipped for ${redacted} redacted public ledger ${redacted === 1 ? 'entry' : 'entries'}; receipt and checkpoint proofs still verified.`)
  }
  const result: ClientVerification = {
    intact: true, verifiedEntries: entries.length, verifiedCheckpoints: checkpoints.length, latestLeafHash, latestCheckpointHash: latest?.checkpointHash ?? null,
  }
  if (notes.length > 0) result.coverageNote = notes.join(' ')
  return result
}

// ---- Proof verification, written from spec §7.7 (RFC 9162 §2.1.3.2 / §2.1.4.2) independently of
// src/ledger/merkle, so a shared mistake there cannot make both sides agree.

const half = (n: number): number => Math.floor(n / 2)

function node(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(Uint8Array.of(1, ...left, ...right))
}

function hexBytes(hex: string): Uint8Array | null {
  return /^[0-9a-f]{64}$/.test(hex) ? Uint8Array.from(Buffer.from(hex, 'hex')) : null
}

/** The client's inclusion check: §7.7 "Inclusion", step by step (no leaf_index < tree_size check). */
export function clientInclusionOk(leafHash: string, leafIndex: number, treeSize: number, path: readonly string[], rootHash: string): boolean {
  let f = leafIndex
  let s = treeSize - 1
  let h = hexBytes(leafHash)
  if (h === null) return false
  for (const hex of path) {
    const sibling = hexBytes(hex)
    if (sibling === null || s === 0) return false
    if (f % 2 === 1 || f === s) {
      h = node(sibling, h)
      while (f !== 0 && f % 2 === 0) {
        f = half(f)
        s = half(s)
      }
    } else {
      h = node(h, sibling)
    }
    f = half(f)
    s = half(s)
  }
  return bytesToHex(h) === rootHash && s === 0
}

/** The client's consistency check: §7.7 "Consistency" (sizes and roots only). */
export function clientConsistencyOk(m: number, n: number, firstRoot: string, secondRoot: string, proof: readonly string[]): boolean {
  if (m === n) return firstRoot === secondRoot
  if (proof.length === 0) return false
  // The client loops forever here (§7.7); a server must never make it try.
  if (m === 0) throw new Error('consistency proof from an empty tree: the real client never returns')
  const path = (m & (m - 1)) === 0 ? [firstRoot, ...proof] : [...proof]
  let f = m - 1
  let s = n - 1
  while (f % 2 === 1) {
    f = half(f)
    s = half(s)
  }
  const first = hexBytes(path[0]!)
  if (first === null) return false
  let fr = first
  let sr = first
  for (const hex of path.slice(1)) {
    const c = hexBytes(hex)
    if (c === null || s === 0) return false
    if (f % 2 === 1 || f === s) {
      fr = node(c, fr)
      sr = node(c, sr)
      while (f !== 0 && f % 2 === 0) {
        f = half(f)
        s = half(s)
      }
    } else {
      sr = node(sr, c)
    }
    f = half(f)
    s = half(s)
  }
  return bytesToHex(fr) === firstRoot && bytesToHex(sr) === secondRoot && s === 0
}

/** Keys a bundle embeds (§7.6 KeyVersion.public_jwk: base64url of the JWK's JSON; no kid → key_id). */
function bundleKeys(keys: Obj[]): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>()
  for (const k of keys) {
    if (k.publicJwk === '') continue
    const jwk = JSON.parse(Buffer.from(k.publicJwk, 'base64url').toString('utf8')) as Obj
    out.set(typeof jwk.kid === 'string' ? jwk.kid : k.keyId, createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' }))
  }
  return out
}

function checkpointPayloadOf(c: Obj): Uint8Array {
  return buildCheckpointPayload({
    export_target: c.exportTarget, signer_key_id: c.signerKeyId, mmd_seconds: c.mmdSeconds, prev_checkpoint_hash: c.prevCheckpointHash,
    root_hash: c.rootHash, signed_at: c.signedAt, tree_size: c.treeSize,
  })
}

function signedBy(keys: Map<string, KeyObject>, kid: string, payload: Uint8Array, signatureB64: string, what: string): void {
  const key = keys.get(kid)
  if (key === undefined) throw new ClientVerificationError(`No JWKS key found for kid ${kid}`)
  const sig = base64urlDecode(signatureB64)
  if (sig === undefined || !verifySignature(null, payload, key, sig)) throw new ClientVerificationError(`${what} signature invalid in proof bundle`)
}

/**
 * fetchLedgerProofBundle() + verifyLedgerProofBundle(bundle), as spec §7.8 describes it: parse, keys
 * (the bundle's own, else the JWKS), receipt, inclusion checkpoint, inclusion proof, consistency;
 * throws on the first failure. It does NOT recompute the event hash (the client does not).
 */
export function clientVerifyLedgerProofBundle(body: unknown, jwks: unknown): Obj {
  const b = clientParse('LedgerProofBundle', body)
  let keys = bundleKeys(b.keys as Obj[])
  if (keys.size === 0) keys = jwksKeys(jwks)
  if (keys.size === 0) throw new ClientVerificationError('No verification keys available for ledger proof bundle')
  const e = b.event as Obj
  const receipt = buildReceiptPayload({ accepted_at: e.acceptedAt, event_hash: e.eventHash, event_uuid: e.eventUuid, leaf_hash: e.leafHash, receipt_key_id: e.receiptKeyId, request_id: e.requestId })
  if (Buffer.from(receipt).toString('base64url') !== e.receiptPayload) throw new ClientVerificationError('Ledger receipt payload mismatch in proof bundle')
  signedBy(keys, e.receiptKeyId, receipt, e.receiptSignature, 'Ledger receipt')
  const inc = b.inclusion as Obj
  const cp = inc.checkpoint as Obj
  const payload = checkpointPayloadOf(cp)
  if (Buffer.from(payload).toString('base64url') !== cp.checkpointPayload) throw new ClientVerificationError('Ledger checkpoint payload mismatch in proof bundle')
  signedBy(keys, cp.signerKeyId, payload, cp.checkpointSignature, 'Ledger checkpoint')
  if (!clientInclusionOk(e.leafHash, inc.leafIndex, inc.treeSize, inc.path, cp.rootHash)) throw new ClientVerificationError('Ledger inclusion proof is invalid')
  const c = b.consistency as Obj | undefined
  if (c !== undefined) {
    const [from, to] = [c.fromCheckpoint as Obj, c.toCheckpoint as Obj]
    if (!clientConsistencyOk(from.treeSize, to.treeSize, from.rootHash, to.rootHash, c.path)) throw new ClientVerificationError('Ledger consistency proof is invalid')
  }
  const latest = c === undefined ? cp.checkpointHash : (c.toCheckpoint as Obj).checkpointHash
  return { intact: true, verifiedEntries: 1, verifiedCheckpoints: c === undefined ? 1 : 2, latestLeafHash: e.leafHash, latestCheckpointHash: latest }
}
