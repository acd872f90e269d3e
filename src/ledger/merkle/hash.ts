// RFC 6962 §2.1 hashing and tree shape: leaf = H(0x00 || data), node = H(0x01 || left || right),
// and for n ≥ 2 the left subtree holds k leaves, k the largest power of two strictly below n.
import type { LedgerHasher } from '../crypto.ts'

export const HASH_BYTES = 32

/** H(0x00 || data): here data is the 32-byte event hash (spec §7.3). */
export function hashLeaf(data: Uint8Array, hasher: LedgerHasher): Uint8Array {
  const input = new Uint8Array(1 + data.length)
  input.set(data, 1)
  return hasher.sha256(input)
}

/** H(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array, hasher: LedgerHasher): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length)
  input[0] = 1
  input.set(left, 1)
  input.set(right, 1 + left.length)
  return hasher.sha256(input)
}

/** Largest power of two strictly less than n, for 2 ≤ n ≤ 2^53. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** True for a tree size or index the proofs accept: a safe non-negative integer. */
export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
