// The Merkle tree recomputed by the stored-ledger verification, leaf by leaf: its frontier (the
// perfect subtrees of the tree so far, O(log n) hashes), the root at any size, and the nodes created
// since the last comparison with the stored ones — per level a contiguous index range, kept as one
// flat buffer, so a page of leaves costs a range read per level and no object per node.
import type { TenantId } from '../core/index.ts'
import type { Store } from '../store/index.ts'
import type { LedgerHasher } from './crypto.ts'
import { HASH_BYTES } from './merkle/hash.ts'
import { fail } from './verify-mismatch.ts'

const INITIAL_LEVEL_NODES = 64

export class TreeRebuilder {
  readonly #hasher: LedgerHasher
  /** 0x01 || left || right (RFC 6962 node input), reused for every node. */
  readonly #input = new Uint8Array(1 + 2 * HASH_BYTES)
  /** Frontier hashes, highest level first, and their levels: the binary counter of `size`. */
  readonly #frontier: Uint8Array[] = []
  readonly #frontierLevels: number[] = []
  /** Per level, nodes created since the last compare(): first index, count, hashes back to back. */
  readonly #from: number[] = []
  readonly #count: number[] = []
  readonly #hashes: Uint8Array[] = []
  size = 0

  constructor(hasher: LedgerHasher) {
    this.#hasher = hasher
    this.#input[0] = 1
  }

  /** Append leaf `size` (its leaf hash) and every node it completes. */
  append(leaf: Uint8Array): void {
    let hash = leaf
    let level = 0
    let index = this.size
    this.#record(0, index, hash)
    const frontier = this.#frontier
    const levels = this.#frontierLevels
    while (levels.length > 0 && levels[levels.length - 1] === level) {
      levels.pop()
      hash = this.#children(frontier.pop()!, hash)
      index = Math.floor(index / 2)
      level++
      this.#record(level, index, hash)
    }
    frontier.push(hash)
    levels.push(level)
    this.size++
  }

  /** The root of the tree of all leaves so far (size ≥ 1). */
  root(): Uint8Array {
    const frontier = this.#frontier
    let acc = frontier[frontier.length - 1]!
    for (let i = frontier.length - 2; i >= 0; i--) acc = this.#children(frontier[i]!, acc)
    return acc
  }

  /**
   * Compare the nodes created since the last call with the stored ones, level by level, then forget
   * them. One read per level confirms a range that is complete and equal; only a range that is not
   * is read node by node to name the first missing or different node (Failed).
   */
  async compare(store: Store, tenant: TenantId): Promise<void> {
    for (let level = 0; level < this.#count.length; level++) {
      const count = this.#count[level]!
      if (count === 0) continue
      const from = this.#from[level]!
      const hashes = this.#hashes[level]!
      const m = await store.matchLedgerNodes(tenant, level, from, hashes.subarray(0, count * HASH_BYTES))
      // Indexes are unique (the primary key), so count, min and max pin down exactly from..from+count−1.
      const same = m.count === count && m.minIndex === from && m.maxIndex === from + count - 1 && m.matching === count
      if (!same) await this.#locate(store, tenant, level, from, count)
      this.#count[level] = 0
    }
  }

  /** Read the range node by node and fail at the first stored node that is missing or different. */
  async #locate(store: Store, tenant: TenantId, level: number, from: number, count: number): Promise<void> {
    const hashes = this.#hashes[level]!
    const stored = await store.listLedgerNodes(tenant, level, from, from + count)
    // Stored nodes come in index order with unique indexes, so one cursor finds each expected node.
    let s = 0
    for (let k = 0; k < count; k++) {
      const index = from + k
      const node = stored[s]
      const where = level === 0 ? `leaf node ${index}` : `node (level ${level}, index ${index})`
      if (node === undefined || node.index !== index) {
        fail({ kind: 'node', level, index, ...(level === 0 ? { leaf_index: index } : {}), detail: `stored merkle ${where} is missing` })
      }
      if (!sameHash(node.hash, hashes, k * HASH_BYTES)) {
        fail({ kind: 'node', level, index, ...(level === 0 ? { leaf_index: index } : {}), detail: `stored merkle ${where} differs from the one recomputed from the event rows` })
      }
      s++
    }
    // The range read saw a difference the node-by-node reading did not: a bug.
    throw new Error(`ledger verification: stored merkle nodes of level ${level} from index ${from} disagree between reads`)
  }

  #children(left: Uint8Array, right: Uint8Array): Uint8Array {
    this.#input.set(left, 1)
    this.#input.set(right, 1 + HASH_BYTES)
    return this.#hasher.sha256(this.#input)
  }

  #record(level: number, index: number, hash: Uint8Array): void {
    if (level === this.#count.length) {
      this.#from.push(0)
      this.#count.push(0)
      this.#hashes.push(new Uint8Array(INITIAL_LEVEL_NODES * HASH_BYTES))
    }
    const count = this.#count[level]!
    if (count === 0) this.#from[level] = index
    // A page's new nodes of one level are consecutive by construction (a binary counter).
    else if (this.#from[level]! + count !== index) throw new Error(`merkle rebuild: level ${level} skipped to index ${index}`)
    let hashes = this.#hashes[level]!
    if ((count + 1) * HASH_BYTES > hashes.length) {
      const grown = new Uint8Array(hashes.length * 2)
      grown.set(hashes)
      this.#hashes[level] = hashes = grown
    }
    hashes.set(hash, count * HASH_BYTES)
    this.#count[level] = count + 1
  }
}

function sameHash(stored: unknown, hashes: Uint8Array, offset: number): boolean {
  if (!(stored instanceof Uint8Array) || stored.length !== HASH_BYTES) return false
  for (let i = 0; i < HASH_BYTES; i++) if (stored[i] !== hashes[offset + i]) return false
  return true
}
