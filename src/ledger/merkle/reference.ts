// RFC 6962 §2.1 definitions over an in-memory list of leaf hashes: MTH, PATH and PROOF, written as
// the RFC states them. O(n) per call: the reference the stored-node code (nodes.ts) is tested against,
// and what a verifier uses when it already holds every leaf (a full /ledger page).
import type { LedgerHasher } from '../crypto.ts'
import { hashChildren, isTreeSize, splitPoint } from './hash.ts'

/** MTH(D[n]) over leaf hashes. The empty tree has no root here: the SDK's "" is not a hash. */
export function merkleRoot(leaves: readonly Uint8Array[], hasher: LedgerHasher): Uint8Array {
  if (leaves.length === 0) throw new RangeError('the empty tree has no root (never publish tree_size 0)')
  return mth(leaves, 0, leaves.length, hasher)
}

function mth(leaves: readonly Uint8Array[], start: number, end: number, hasher: LedgerHasher): Uint8Array {
  const n = end - start
  if (n === 1) return leaves[start]!
  const k = splitPoint(n)
  return hashChildren(mth(leaves, start, start + k, hasher), mth(leaves, start + k, end, hasher), hasher)
}

/** PATH(m, D[n]): the inclusion proof for leaf m, siblings from the leaf upward. */
export function merkleInclusionPath(leaves: readonly Uint8Array[], leafIndex: number, hasher: LedgerHasher): Uint8Array[] {
  if (!isTreeSize(leafIndex) || leafIndex >= leaves.length) throw new RangeError('leaf index outside the tree')
  const out: Uint8Array[] = []
  path(leaves, leafIndex, 0, leaves.length, hasher, out)
  return out
}

function path(leaves: readonly Uint8Array[], m: number, start: number, end: number, hasher: LedgerHasher, out: Uint8Array[]): void {
  const n = end - start
  if (n <= 1) return
  const k = splitPoint(n)
  if (m < k) {
    path(leaves, m, start, start + k, hasher, out)
    out.push(mth(leaves, start + k, end, hasher))
  } else {
    path(leaves, m - k, start + k, end, hasher, out)
    out.push(mth(leaves, start, start + k, hasher))
  }
}

/** PROOF(m, D[n]) for 0 < m ≤ n: never from the empty tree (spec §7.7). */
export function merkleConsistencyPath(leaves: readonly Uint8Array[], firstSize: number, hasher: LedgerHasher): Uint8Array[] {
  if (!isTreeSize(firstSize) || firstSize === 0 || firstSize > leaves.length) {
    throw new RangeError('consistency proofs need 0 < first size <= tree size')
  }
  const out: Uint8Array[] = []
  subproof(leaves, firstSize, 0, leaves.length, true, hasher, out)
  return out
}

function subproof(
  leaves: readonly Uint8Array[],
  m: number,
  start: number,
  end: number,
  isOriginal: boolean,
  hasher: LedgerHasher,
  out: Uint8Array[],
): void {
  const n = end - start
  if (m === n) {
    if (!isOriginal) out.push(mth(leaves, start, end, hasher))
    return
  }
  const k = splitPoint(n)
  if (m <= k) {
    subproof(leaves, m, start, start + k, isOriginal, hasher, out)
    out.push(mth(leaves, start + k, end, hasher))
  } else {
    subproof(leaves, m - k, start + k, end, false, hasher, out)
    out.push(mth(leaves, start, start + k, hasher))
  }
}
