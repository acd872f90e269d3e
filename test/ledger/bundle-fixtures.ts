// Shared fixtures for the bundle tests: the proof-bundle.json vectors, the test JWKS, and a builder
// that makes fresh bundles from the signed 7-event ledger in ledger-chain.json.
import {
  bytesToHex,
  hexToBytes,
  merkleConsistencyPath,
  merkleInclusionPath,
  nodeLedgerCrypto,
} from '../../src/ledger/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

export type Json = Record<string, any>

interface BundleFile {
  jwks: { keys: Json[] }
  bundle_wire: Json
  sdk_verdict: { result: Json }
  bundle_without_consistency: { bundle_wire: Json; sdk_verdict: Json }
  tampered: { name: string; bundle: Json; sdk_verdict: { accepted: boolean } }[]
}
interface ChainFile {
  http_responses: Record<string, Json>
}

export const bundleFile = skipWithoutVectors ? null : loadVector<BundleFile>('proof-bundle.json')
const chainFile = skipWithoutVectors ? null : loadVector<ChainFile>('ledger-chain.json')

export const clone = <T>(v: T): T => structuredClone(v)
export const vectorBundle = (): Json => clone(bundleFile!.bundle_wire)
export const testJwks = (): Json => clone(bundleFile!.jwks)

const chainEntries = (): Json[] => clone(chainFile!.http_responses['GET /ledger?limit=100']!.entries as Json[])
const chainCheckpoints = (): Json[] => clone(chainFile!.http_responses['GET /ledger/checkpoints?limit=24']!.checkpoints as Json[])

/**
 * A bundle for the event with `seq`, included in checkpoint `inclusionId`, with a consistency proof
 * to checkpoint `toId` when given. Keys list both test keys (both are pinned in testJwks()).
 */
export function buildBundle(seq: number, inclusionId: number, toId?: number): Json {
  const entries = chainEntries()
  const cps = chainCheckpoints()
  const event = entries.find((e) => e.seq === seq)!
  const leaves = entries.sort((a, b) => a.leaf_index - b.leaf_index).map((e) => hexToBytes(e.leaf_hash as string)!)
  const cp = cps.find((c) => c.checkpoint_id === inclusionId)!
  const bundle: Json = {
    event,
    inclusion: {
      event_uuid: event.event_uuid,
      request_id: event.request_id,
      event_hash: event.event_hash,
      leaf_hash: event.leaf_hash,
      leaf_index: event.leaf_index,
      tree_size: cp.tree_size,
      path: merkleInclusionPath(leaves.slice(0, cp.tree_size), event.leaf_index, nodeLedgerCrypto).map(bytesToHex),
      checkpoint: cp,
    },
    keys: clone(bundleFile!.bundle_wire.keys),
  }
  if (toId !== undefined) {
    const to = cps.find((c) => c.checkpoint_id === toId)!
    bundle.consistency = {
      from_checkpoint: clone(cp),
      to_checkpoint: to,
      path: merkleConsistencyPath(leaves.slice(0, to.tree_size), cp.tree_size, nodeLedgerCrypto).map(bytesToHex),
    }
  }
  return bundle
}

/** A leaf-path builder for arbitrary leaf lists, for bundles the tests forge from scratch. */
export function chainLeaves(): Uint8Array[] {
  return chainEntries()
    .sort((a, b) => a.leaf_index - b.leaf_index)
    .map((e) => hexToBytes(e.leaf_hash as string)!)
}
