// The two diffs behind the dashboard: the policy version line diff (applying its hunks to `from`
// rebuilds `to` exactly; bounded, and still correct past the bound) and the structural tool_args diff
// (its changes, applied to the old args, give the new ones, and each names a real change exactly once).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isDeepStrictEqual } from 'node:util'
import fc from 'fast-check'
import { diffArgs, pointerSegment } from '../../src/vault/args-diff.ts'
import { MAX_EDIT_DISTANCE, diffLines, editScript } from '../../src/vault/text-diff.ts'
import type { DiffHunk } from '../../src/vault/text-diff.ts'

const RUNS = process.env.CI === undefined ? 500 : 300

/** Apply hunks the way a reader of the format would, checking every kept and removed line. */
function applyHunks(from: readonly string[], hunks: readonly DiffHunk[]): string[] {
  const out: string[] = []
  let at = 0
  for (const h of hunks) {
    const start = h.from_start - 1
    assert.ok(start >= at, 'hunks are ordered and disjoint')
    while (at < start) out.push(from[at++]!)
    let consumed = 0
    for (const line of h.lines) {
      if (line.op === '+') {
        out.push(line.text)
        continue
      }
      assert.equal(from[at], line.text, `line ${at + 1} of from is what the hunk says`)
      if (line.op === ' ') out.push(line.text)
      at++
      consumed++
    }
    assert.equal(consumed, h.from_lines)
    assert.equal(h.lines.filter((l) => l.op !== '-').length, h.to_lines)
  }
  while (at < from.length) out.push(from[at++]!)
  return out
}

// A small alphabet of lines so that texts share lines and the diff has work to do.
const line = fc.constantFrom('a', 'b', 'c', 'rules:', '  - id: x', '    effect: allow', '', 'when: tool_name == "t"')
const text = fc.array(line, { maxLength: 60 }).map((ls) => ls.join('\n'))

test('policy diff: applying the hunks to `from` gives `to`, for any two texts', () => {
  fc.assert(
    fc.property(text, text, (from, to) => {
      const a = from.split('\n')
      const b = to.split('\n')
      const hunks = diffLines(a, b)
      assert.equal(applyHunks(a, hunks).join('\n'), to)
      assert.equal(hunks.length === 0, from === to)
    }),
    { numRuns: RUNS },
  )
})

/** Longest common subsequence length by dynamic programming: the reference for minimality. */
function lcs(a: readonly string[], b: readonly string[]): number {
  const row = new Array<number>(b.length + 1).fill(0)
  for (let i = 1; i <= a.length; i++) {
    let diag = 0
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!
      row[j] = a[i - 1] === b[j - 1] ? diag + 1 : Math.max(row[j]!, row[j - 1]!)
      diag = up
    }
  }
  return row[b.length]!
}

test('policy diff: the edit script is a shortest one (as many edits as the LCS leaves)', () => {
  fc.assert(
    fc.property(text, text, (from, to) => {
      const a = from.split('\n')
      const b = to.split('\n')
      const edits = editScript(a, b).filter((l) => l.op !== ' ').length
      assert.equal(edits, a.length + b.length - 2 * lcs(a, b))
    }),
    { numRuns: RUNS },
  )
})

test('policy diff: the edit script is minimal on a known case and keeps unchanged context', () => {
  const a = ['policy_id: p', 'rules:', '  - id: r1', '    effect: allow', 'tools: []']
  const b = ['policy_id: p', 'rules:', '  - id: r1', '    effect: deny', 'tools: []']
  const script = editScript(a, b)
  assert.deepEqual(script.filter((l) => l.op !== ' '), [{ op: '-', text: '    effect: allow' }, { op: '+', text: '    effect: deny' }])
  const hunks = diffLines(a, b)
  assert.equal(hunks.length, 1)
  assert.deepEqual([hunks[0]!.from_start, hunks[0]!.from_lines, hunks[0]!.to_start, hunks[0]!.to_lines], [1, 5, 1, 5])
  // Far-apart changes make separate hunks with three lines of context each.
  const long = Array.from({ length: 40 }, (_, i) => `line ${i}`)
  const changed = long.map((l, i) => (i === 5 || i === 30 ? `${l} changed` : l))
  const two = diffLines(long, changed)
  assert.equal(two.length, 2)
  assert.deepEqual(two.map((h) => [h.from_start, h.from_lines]), [[3, 7], [28, 7]])
})

test('policy diff: past the edit-distance bound the middle is one replacement, still exact', () => {
  const n = MAX_EDIT_DISTANCE + 10
  const a = ['head', ...Array.from({ length: n }, (_, i) => `a${i}`), 'tail']
  const b = ['head', ...Array.from({ length: n }, (_, i) => `b${i}`), 'tail']
  const hunks = diffLines(a, b)
  assert.deepEqual(applyHunks(a, hunks), b)
  assert.equal(hunks.length, 1)
  assert.equal(hunks[0]!.lines.filter((l) => l.op === '-').length, n)
})

/** Set (or delete, with undefined) the value at an RFC 6901 pointer. */
function applyChange(root: unknown, path: string, value: unknown, remove: boolean): unknown {
  if (path === '') return value
  const segments = path.slice(1).split('/').map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  let node = root as Record<string, unknown>
  for (const s of segments.slice(0, -1)) node = node[s] as Record<string, unknown>
  const last = segments[segments.length - 1]!
  if (remove) {
    if (Array.isArray(node)) node.length = Number(last)
    else delete node[last]
  } else if (Array.isArray(node)) node[Number(last)] = value
  else node[last] = value
  return root
}

// JSON values as tool_args hold them (no -0: canonical JSON writes 0), keys with the pointer escapes.
const key = fc.constantFrom('a', 'b', 'amount', 'x/y', 'm~n', '', 'items')
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, true, false, 0, 1, 2.5, 'x', 'y', ''), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}))
// Plain objects, as JSON.parse makes them (fast-check's dictionaries have a null prototype).
const args = (json.object as fc.Arbitrary<Record<string, unknown>>).map((v) => JSON.parse(JSON.stringify(v)) as Record<string, unknown>)

test('args diff: applying the listed changes to the old args gives the new ones; each path is listed once and really changed', () => {
  fc.assert(
    fc.property(args, args, (before, after) => {
      const { changes, truncated } = diffArgs(before, after)
      assert.equal(truncated, false)
      const paths = changes.map((c) => c.path)
      assert.equal(new Set(paths).size, paths.length, 'no path twice')
      for (const p of paths) for (const q of paths) if (p !== q) assert.ok(!q.startsWith(p + '/'), `${q} is inside ${p}, listed already`)
      // Apply removals of array tails from the highest index down, then everything else.
      let result: unknown = structuredClone(before)
      const removed = changes.filter((c) => c.kind === 'removed').sort((x, y) => y.path.localeCompare(x.path, 'en', { numeric: true }))
      const ordered = [...changes.filter((c) => c.kind !== 'removed'), ...removed]
      for (const c of ordered) result = applyChange(result, c.path, c.after, c.kind === 'removed')
      assert.deepEqual(result, after)
      for (const c of changes) if (c.kind === 'changed') assert.notDeepEqual(c.before, c.after)
      assert.equal(changes.length === 0, isDeepStrictEqual(before, after))
    }),
    { numRuns: RUNS },
  )
})

test('args diff: exactly the changed paths, as JSON Pointers', () => {
  const before = { amount: 100, currency: 'usd', items: [{ sku: 'a' }, { sku: 'b' }], 'a/b': 1, meta: { note: 'x' } }
  const after = { amount: 5000, currency: 'usd', items: [{ sku: 'a' }, { sku: 'c' }, { sku: 'd' }], 'a/b': 1, meta: {}, new: true }
  assert.deepEqual(diffArgs(before, after).changes, [
    { path: '/amount', kind: 'changed', before: 100, after: 5000 },
    { path: '/items/1/sku', kind: 'changed', before: 'b', after: 'c' },
    { path: '/items/2', kind: 'added', after: { sku: 'd' } },
    { path: '/meta/note', kind: 'removed', before: 'x' },
    { path: '/new', kind: 'added', after: true },
  ])
  assert.equal(pointerSegment('a/b~c'), 'a~1b~0c')
  assert.deepEqual(diffArgs({ a: [1] }, { a: { 0: 1 } }).changes, [{ path: '/a', kind: 'changed', before: [1], after: { 0: 1 } }])
  const many = diffArgs({}, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])), 5)
  assert.deepEqual([many.changes.length, many.truncated], [5, true])
})
