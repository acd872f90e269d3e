// uuidv7 (src/core/uuid7.ts): RFC 9562 layout, time prefix, strict order within a process (the
// property the store's B-tree locality relies on), and uniqueness.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { uuidv7 } from '../../src/core/index.ts'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

function msOf(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
}

test('uuidv7: version 7, RFC 9562 variant, 48-bit millisecond prefix', () => {
  const at = Date.UTC(2026, 10, 24, 12, 0, 0, 123)
  const id = uuidv7(at + 10_000)
  assert.match(id, V7)
  assert.equal(msOf(id), at + 10_000)
})

test('uuidv7: strictly increasing across calls, within one millisecond and across 5,000 in it', () => {
  const at = 2 ** 47 // year 6429: later than any id made before in this file
  let prev = uuidv7(at)
  for (let i = 0; i < 5000; i++) {
    const next = uuidv7(at) // same millisecond: the 12-bit sequence counts, then borrows the next ms
    assert.ok(next > prev, `${next} > ${prev}`)
    prev = next
  }
  assert.ok(msOf(prev) > at, 'more than 2^11 ids in one millisecond borrow the following one')
})

test('uuidv7: a clock that steps back keeps the order (the last timestamp holds)', () => {
  const later = 2 ** 47 + 2 ** 40
  const a = uuidv7(later)
  const b = uuidv7(later - 60_000)
  assert.ok(b > a)
  assert.equal(msOf(b), later)
})

test('uuidv7: 200,000 ids, no duplicates, random bits differ', () => {
  const seen = new Set<string>()
  const tails = new Set<string>()
  for (let i = 0; i < 200_000; i++) {
    const id = uuidv7()
    seen.add(id)
    tails.add(id.slice(19))
  }
  assert.equal(seen.size, 200_000)
  assert.equal(tails.size, 200_000, 'the 62 random bits repeat only by chance (p ≈ 4e-9)')
})
