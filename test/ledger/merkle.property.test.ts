import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import {
  appendLeaves,
  bytesToHex,
  consistencyProofFromNodes,
  inclusionProofFromNodes,
  MemoryNodeStore,
  merkleConsistencyPath,
  merkleInclusionPath,
  merkleRoot,
  nodeLedgerCrypto,
  rootFromNodes,
  verifyConsistency,
  verifyInclusion,
} from '../../src/ledger/index.ts'
import type { NodeReader } from '../../src/ledger/index.ts'

const h = nodeLedgerCrypto
const MAX_SIZE = 300
const leafOf = (i: number) => createHash('sha256').update(`leaf ${i}`).digest()
const LEAVES = Array.from({ length: MAX_SIZE }, (_, i) => new Uint8Array(leafOf(i)))

/** Built in random-sized append batches, as the sealer will. */
function buildStore(size: number, batches: number[]): MemoryNodeStore {
  const store = new MemoryNodeStore()
  let n = 0
  for (let i = 0; n < size; i++) {
    const take = Math.min(size - n, batches[i % batches.length]!)
    store.put(appendLeaves(store, n, LEAVES.slice(n, n + take), h))
    n += take
  }
  return store
}

/** Counts reads, to show proofs stay O(log n). */
class CountingReader implements NodeReader {
  reads = 0
  readonly inner: NodeReader
  constructor(inner: NodeReader) {
    this.inner = inner
  }
  get(level: number, index: number): Uint8Array | undefined {
    this.reads++
    return this.inner.get(level, index)
  }
}

const flip = (bytes: Uint8Array, bit: number): Uint8Array => {
  const out = Uint8Array.from(bytes)
  out[Math.floor(bit / 8) % out.length]! ^= 1 << (bit % 8)
  return out
}

const sizeAndIndex = fc.integer({ min: 1, max: MAX_SIZE }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 })))
const batches = fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 })

test('stored-node roots and inclusion proofs equal the reference, verify, and read O(log n) nodes', () => {
  fc.assert(
    fc.property(sizeAndIndex, batches, fc.nat(), ([n, m], sizes, bit) => {
      const store = buildStore(n, sizes)
      assert.equal(store.size, 2 * n - popcount(n), 'exactly the complete nodes are stored')
      const reader = new CountingReader(store)
      const path = inclusionProofFromNodes(reader, m, n, h)
      const root = rootFromNodes(reader, n, h)
      assert.ok(reader.reads <= 4 * Math.ceil(Math.log2(n) + 1), `${reader.reads} reads for size ${n}`)
      assert.deepEqual(path.map(bytesToHex), merkleInclusionPath(LEAVES.slice(0, n), m, h).map(bytesToHex))
      assert.equal(bytesToHex(root), bytesToHex(merkleRoot(LEAVES.slice(0, n), h)))
      const input = { leafIndex: m, treeSize: n, leafHash: LEAVES[m]!, path, rootHash: root }
      assert.equal(verifyInclusion(input, h), true)
      assert.equal(verifyInclusion({ ...input, rootHash: flip(root, bit) }, h), false)
      assert.equal(verifyInclusion({ ...input, leafHash: flip(LEAVES[m]!, bit) }, h), false)
      if (path.length > 0) {
        const i = bit % path.length
        assert.equal(verifyInclusion({ ...input, path: path.map((p, j) => (j === i ? flip(p, bit) : p)) }, h), false)
      }
    }),
    { numRuns: 100 },
  )
})

const sizePair = fc.integer({ min: 1, max: MAX_SIZE }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n)))

test('stored-node consistency proofs equal the reference, verify, and any flipped bit is caught', () => {
  fc.assert(
    fc.property(sizePair, batches, fc.nat(), ([m, n], sizes, bit) => {
      const store = buildStore(n, sizes)
      const reader = new CountingReader(store)
      const path = consistencyProofFromNodes(reader, m, n, h)
      assert.ok(reader.reads <= 4 * Math.ceil(Math.log2(n) + 1), `${reader.reads} reads for ${m} -> ${n}`)
      assert.deepEqual(path.map(bytesToHex), merkleConsistencyPath(LEAVES.slice(0, n), m, h).map(bytesToHex))
      const input = { firstSize: m, secondSize: n, firstRoot: rootFromNodes(store, m, h), secondRoot: rootFromNodes(store, n, h), path }
      assert.equal(verifyConsistency(input, h), true)
      assert.equal(verifyConsistency({ ...input, firstRoot: flip(input.firstRoot, bit) }, h), false)
      assert.equal(verifyConsistency({ ...input, secondRoot: flip(input.secondRoot, bit) }, h), false)
      if (path.length > 0) {
        const i = bit % path.length
        assert.equal(verifyConsistency({ ...input, path: path.map((p, j) => (j === i ? flip(p, bit) : p)) }, h), false)
      }
    }),
    { numRuns: 100 },
  )
})

test('appending to a tree never rewrites a stored node', () => {
  const store = new MemoryNodeStore()
  const seen = new Map<string, string>()
  let n = 0
  for (const take of [1, 2, 3, 5, 8, 13, 21, 34]) {
    for (const node of appendLeaves(store, n, LEAVES.slice(n, n + take), h)) {
      const key = `${node.level}/${node.index}`
      assert.equal(seen.has(key), false, `node ${key} written twice`)
      seen.set(key, bytesToHex(node.hash))
    }
    store.put(appendLeaves(store, n, LEAVES.slice(n, n + take), h))
    n += take
  }
  assert.equal(store.size, seen.size)
})

test('a missing stored node is reported, not silently treated as empty', () => {
  const store = buildStore(5, [5])
  const holey: NodeReader = { get: (level, index) => (level === 2 && index === 0 ? undefined : store.get(level, index)) }
  assert.throws(() => rootFromNodes(holey, 5, h), /level 2, index 0\) is missing/)
})

function popcount(n: number): number {
  let c = 0
  for (; n > 0; n = Math.floor(n / 2)) c += n % 2
  return c
}
