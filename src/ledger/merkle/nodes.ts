// Merkle roots and proofs as O(log n) reads of stored complete-subtree hashes (the sealer's layout,
// docs/design/ledger.md). Node (level, index) is the hash of the perfect subtree over leaves
// [index·2^level, (index+1)·2^level): written once when its last leaf arrives, never rewritten.
import type { LedgerHasher } from '../crypto.ts'
import { hashChildren, isTreeSize, splitPoint } from './hash.ts'

/** Read access to stored complete-subtree hashes; level 0 holds the leaf hashes. */
export interface NodeReader {
  get(level: number, index: number): Uint8Array | undefined
}

export interface CompleteNode {
  readonly level: number
  readonly index: number
  readonly hash: Uint8Array
}

interface FrontierEntry {
  level: number
  hash: Uint8Array
}

function readNode(reader: NodeReader, level: number, index: number): Uint8Array {
  const hash = reader.get(level, index)
  // A hole means the node table is out of step with the tree size: corrupt storage, not bad input.
  if (hash === undefined) throw new Error(`merkle node (level ${level}, index ${index}) is missing from the store`)
  return hash
}

/** The perfect subtrees that make up [start, end), largest first; start must be aligned to the largest. */
function rangeNodes(reader: NodeReader, start: number, end: number): FrontierEntry[] {
  const out: FrontierEntry[] = []
  let cursor = start
  let width = 2 ** 52
  while (width >= 1) {
    if (cursor + width <= end) {
      out.push({ level: Math.log2(width), hash: readNode(reader, Math.log2(width), cursor / width) })
      cursor += width
    }
    width /= 2
  }
  return out
}

/** MTH(D[start:end]) from stored nodes: popcount(end − start) reads, folded right to left. */
function rangeHash(reader: NodeReader, start: number, end: number, hasher: LedgerHasher): Uint8Array {
  const pieces = rangeNodes(reader, start, end)
  let acc = pieces[pieces.length - 1]!.hash
  for (let i = pieces.length - 2; i >= 0; i--) acc = hashChildren(pieces[i]!.hash, acc, hasher)
  return acc
}

function assertSize(name: string, n: number, min: number): void {
  if (!isTreeSize(n) || n < min) throw new RangeError(`${name} must be a safe integer >= ${min}, got ${n}`)
}

/**
 * The nodes that become complete when `leaves` are appended to a tree of `treeSize` leaves: each
 * leaf at level 0, then every parent its arrival completes. Reads only the current frontier
 * (popcount(treeSize) nodes). The caller stores the result with the new tree size, atomically.
 */
export function appendLeaves(
  reader: NodeReader,
  treeSize: number,
  leaves: readonly Uint8Array[],
  hasher: LedgerHasher,
): CompleteNode[] {
  assertSize('treeSize', treeSize, 0)
  // The frontier works as a binary counter: equal levels on top of the stack merge.
  const stack = treeSize === 0 ? [] : rangeNodes(reader, 0, treeSize)
  const created: CompleteNode[] = []
  let size = treeSize
  for (const leaf of leaves) {
    let entry: FrontierEntry = { level: 0, hash: leaf }
    let index = size
    created.push({ level: 0, index, hash: leaf })
    while (stack.length > 0 && stack[stack.length - 1]!.level === entry.level) {
      const left = stack.pop()!
      index = Math.floor(index / 2)
      entry = { level: entry.level + 1, hash: hashChildren(left.hash, entry.hash, hasher) }
      created.push({ level: entry.level, index, hash: entry.hash })
    }
    stack.push(entry)
    size++
  }
  return created
}

/** MTH of the first `treeSize` leaves (treeSize ≥ 1). */
export function rootFromNodes(reader: NodeReader, treeSize: number, hasher: LedgerHasher): Uint8Array {
  assertSize('treeSize', treeSize, 1)
  return rangeHash(reader, 0, treeSize, hasher)
}

/** PATH(leafIndex, D[treeSize]) in O(log n) reads. */
export function inclusionProofFromNodes(
  reader: NodeReader,
  leafIndex: number,
  treeSize: number,
  hasher: LedgerHasher,
): Uint8Array[] {
  assertSize('treeSize', treeSize, 1)
  if (!isTreeSize(leafIndex) || leafIndex >= treeSize) throw new RangeError('leafIndex must be below treeSize')
  const upward: Uint8Array[] = []
  let start = 0
  let end = treeSize
  let m = leafIndex
  while (end - start > 1) {
    const k = splitPoint(end - start)
    if (m < k) {
      upward.push(rangeHash(reader, start + k, end, hasher))
      end = start + k
    } else {
      upward.push(rangeHash(reader, start, start + k, hasher))
      start += k
      m -= k
    }
  }
  return upward.reverse()
}

/** PROOF(firstSize, D[treeSize]) in O(log n) reads; never from the empty tree (spec §7.7). */
export function consistencyProofFromNodes(
  reader: NodeReader,
  firstSize: number,
  treeSize: number,
  hasher: LedgerHasher,
): Uint8Array[] {
  assertSize('firstSize', firstSize, 1)
  if (!isTreeSize(treeSize) || treeSize < firstSize) throw new RangeError('treeSize must be >= firstSize')
  const outer: Uint8Array[] = []
  let start = 0
  let end = treeSize
  let m = firstSize
  let isOriginal = true
  for (;;) {
    const n = end - start
    if (m === n) {
      const innermost = isOriginal ? [] : [rangeHash(reader, start, end, hasher)]
      return innermost.concat(outer.reverse())
    }
    const k = splitPoint(n)
    if (m <= k) {
      outer.push(rangeHash(reader, start + k, end, hasher))
      end = start + k
    } else {
      outer.push(rangeHash(reader, start, start + k, hasher))
      start += k
      m -= k
      isOriginal = false
    }
  }
}

/** An in-memory NodeReader: for tests, and for verifiers that rebuild a tree from a full leaf list. */
export class MemoryNodeStore implements NodeReader {
  readonly #nodes = new Map<string, Uint8Array>()

  get(level: number, index: number): Uint8Array | undefined {
    return this.#nodes.get(`${level}/${index}`)
  }

  put(nodes: readonly CompleteNode[]): void {
    for (const node of nodes) this.#nodes.set(`${node.level}/${node.index}`, node.hash)
  }

  get size(): number {
    return this.#nodes.size
  }
}
