// Offline verification of a downloaded report (`ledgix-gateway report verify`): the file is the
// canonical JSON the Vault hashed; the proof bundle of its `ledgix.report` ledger row verifies under
// the pinned JWKS and names that hash; the anchor checkpoint's signature verifies; every sampled
// decision's inclusion proof leads to the anchor root. Pure: bytes and parsed JSON in, steps out.
import { checkCheckpointPayload, checkCheckpointSignature, hexToBytes, parseJwks, verifyInclusion, verifyProofBundle } from '../ledger/index.ts'
import type { CheckpointRow, LedgerCrypto } from '../ledger/index.ts'
import { canonicalJson } from '../token/index.ts'
import { REPORT_SCHEMA } from './builder.ts'
import { REPORT_TOOL } from './population.ts'
import { sha256Hex } from './sections.ts'

export interface ReportCheck {
  name: string
  ok: boolean
  detail: string
}

export interface ReportVerification {
  intact: boolean
  report_id: string | null
  sha256: string
  checks: ReportCheck[]
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {})

function parse(bytes: Uint8Array): Obj | string {
  const text = Buffer.from(bytes).toString('utf8')
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    return 'the file is not JSON'
  }
  if (canonicalJson(doc) !== text) return 'the file is not the canonical JSON the Vault produced (re-formatted or altered)'
  return obj(doc)
}

function sampleProves(item: Obj, cp: { root_hash: string; tree_size: number } | null, crypto: LedgerCrypto): boolean {
  const p = obj(item.inclusion_proof)
  if (cp === null || !Array.isArray(p.path) || typeof p.leaf_index !== 'number' || p.tree_size !== cp.tree_size) return false
  const path: Uint8Array[] = []
  for (const h of p.path) {
    const b = typeof h === 'string' ? hexToBytes(h) : undefined
    if (b === undefined) return false
    path.push(b)
  }
  const leaf = typeof item.leaf_hash === 'string' ? hexToBytes(item.leaf_hash) : undefined
  const root = hexToBytes(cp.root_hash)
  if (leaf === undefined || root === undefined) return false
  return verifyInclusion({ leafIndex: p.leaf_index, treeSize: cp.tree_size, leafHash: leaf, path, rootHash: root }, crypto)
}

export function verifyReport(bytes: Uint8Array, bundle: unknown, jwks: unknown, crypto: LedgerCrypto): ReportVerification {
  const sha256 = sha256Hex(bytes)
  const checks: ReportCheck[] = []
  const add = (name: string, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail })
    return ok
  }
  const doc = parse(bytes)
  if (typeof doc === 'string') {
    add('canonical', false, doc)
    return { intact: false, report_id: null, sha256, checks }
  }
  add('canonical', true, `canonical JSON, sha256 ${sha256}`)
  const reportId = typeof doc.report_id === 'string' ? doc.report_id : null
  add('schema', doc.schema === REPORT_SCHEMA, `schema ${JSON.stringify(doc.schema)}`)

  const proof = verifyProofBundle(bundle, crypto, { pinnedJwks: jwks, requireEventBody: true })
  add('ledger_proof', proof.intact, proof.intact ? `the ledger row verifies under the pinned keys (checkpoint ${proof.latest_checkpoint_hash ?? '-'})` : `proof bundle not intact: ${proof.error ?? 'failed'}`)
  const event = obj(obj(bundle).event)
  const args = obj(event.tool_args)
  add('ledger_row', event.tool_name === REPORT_TOOL && event.request_id === reportId, `ledger row ${JSON.stringify(event.request_id)} (${JSON.stringify(event.tool_name)}) is this report's`)
  add('hash_ledgered', args.jsonSha256 === sha256, args.jsonSha256 === sha256 ? 'the ledgered SHA-256 equals the file\'s' : `the ledger recorded ${JSON.stringify(args.jsonSha256)}, the file hashes to ${sha256}`)

  const anchor = obj(doc.ledger_anchor)
  const cp = anchor.checkpoint === null ? null : (obj(anchor.checkpoint) as unknown as CheckpointRow & { root_hash: string; tree_size: number; checkpoint_id: number })
  const keys = parseJwks(jwks)
  if (cp === null) add('anchor', (anchor.rows ?? 0) === 0, 'no anchor checkpoint (acceptable only for an empty period)')
  else {
    const key = keys.keys.get(cp.signer_key_id)
    const payload = checkCheckpointPayload(cp)
    const signature = key === undefined ? `key ${JSON.stringify(cp.signer_key_id)} is not in the JWKS` : checkCheckpointSignature(cp, key, crypto)
    add('anchor', payload === null && signature === null, payload ?? signature ?? `checkpoint ${String(cp.checkpoint_id)} signature verifies under ${cp.signer_key_id}`)
  }

  const items = Array.isArray(obj(doc.sample).items) ? (obj(doc.sample).items as Obj[]) : []
  let bad = 0
  for (const item of items) {
    if (!sampleProves(item, cp, crypto)) bad++
  }
  add('sample_proofs', bad === 0, `${items.length - bad} of ${items.length} sampled decisions prove inclusion under the anchor root`)
  return { intact: checks.every((c) => c.ok), report_id: reportId, sha256, checks }
}
