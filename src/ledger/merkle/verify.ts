// Proof verification, RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency), as spec §7.7 writes
// them, plus the checks the SDK skips: leaf_index < tree_size, sizes are safe integers, first_size > 0
// (the SDK loops forever on 0), and every node is 32 bytes. Arithmetic, not bitwise: sizes reach 2^53.
import type { LedgerHasher } from '../crypto.ts'
import { bytesEqual } from '../bytes.ts'
import { HASH_BYTES, hashChildren, isTreeSize } from './hash.ts'

export interface InclusionInput {
  readonly leafIndex: number
  readonly treeSize: number
  readonly leafHash: Uint8Array
  /** Sibling hashes from the leaf upward (RFC 6962 PATH order). */
  readonly path: readonly Uint8Array[]
  readonly rootHash: Uint8Array
}

export interface ConsistencyInput {
  readonly firstSize: number
  readonly secondSize: number
  readonly firstRoot: Uint8Array
  readonly secondRoot: Uint8Array
  /** RFC 6962 PROOF order; the first root is omitted when firstSize is a power of two. */
  readonly path: readonly Uint8Array[]
}

const half = (n: number): number => Math.floor(n / 2)
const isOdd = (n: number): boolean => n % 2 === 1

function allDigests(path: readonly Uint8Array[]): boolean {
  for (const node of path) if (node.length !== HASH_BYTES) return false
  return true
}

/** Recompute the root from a leaf and its audit path; true only when it equals rootHash. */
export function verifyInclusion(input: InclusionInput, hasher: LedgerHasher): boolean {
  const { leafIndex, treeSize, path } = input
  if (!isTreeSize(leafIndex) || !isTreeSize(treeSize) || leafIndex >= treeSize) return false
  if (input.leafHash.length !== HASH_BYTES || input.rootHash.length !== HASH_BYTES || !allDigests(path)) return false
  // A path can be at most the tree height long; this also bounds the loop for hostile input.
  if (path.length > 64) return false
  let f = leafIndex
  let s = treeSize - 1
  let h = input.leafHash
  for (const sibling of path) {
    if (s === 0) return false
    if (isOdd(f) || f === s) {
      h = hashChildren(sibling, h, hasher)
      while (f !== 0 && !isOdd(f)) {
        f = half(f)
        s = half(s)
      }
    } else {
      h = hashChildren(h, sibling, hasher)
    }
    f = half(f)
    s = half(s)
  }
  return s === 0 && bytesEqual(h, input.rootHash)
}

/** True when the second tree extends the first (append-only), per the consistency path. */
export function verifyConsistency(input: ConsistencyInput, hasher: LedgerHasher): boolean {
  const { firstSize: m, secondSize: n, firstRoot, secondRoot } = input
  if (!isTreeSize(m) || !isTreeSize(n) || m === 0 || m > n) return false
  if (firstRoot.length !== HASH_BYTES || secondRoot.length !== HASH_BYTES || !allDigests(input.path)) return false
  if (m === n) return input.path.length === 0 && bytesEqual(firstRoot, secondRoot)
  if (input.path.length === 0 || input.path.length > 128) return false
  const path = isPowerOfTwo(m) ? [firstRoot, ...input.path] : input.path
  let f = m - 1
  let s = n - 1
  while (isOdd(f)) {
    f = half(f)
    s = half(s)
  }
  let fr = path[0]!
  let sr = path[0]!
  for (let i = 1; i < path.length; i++) {
    const c = path[i]!
    if (s === 0) return false
    if (isOdd(f) || f === s) {
      fr = hashChildren(c, fr, hasher)
      sr = hashChildren(c, sr, hasher)
      while (f !== 0 && !isOdd(f)) {
        f = half(f)
        s = half(s)
      }
    } else {
      sr = hashChildren(sr, c, hasher)
    }
    f = half(f)
    s = half(s)
  }
  return s === 0 && bytesEqual(fr, firstRoot) && bytesEqual(sr, secondRoot)
}

function isPowerOfTwo(n: number): boolean {
  while (n > 1 && !isOdd(n)) n = half(n)
  return n === 1
}
