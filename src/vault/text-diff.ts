// A line diff for the dashboard's policy version comparison: Myers' O(ND) shortest edit script over
// lines (E. Myers, "An O(ND) Difference Algorithm and Its Variations", 1986) grouped into unified-diff
// style hunks with context. Bounded: past MAX_EDIT_DISTANCE (or MAX_DIFF_LINES) the changed middle is
// reported as one replacement, which is still a correct diff, only not a minimal one.

/** Edits explored before giving up on a minimal script: the trace holds O(D²) integers (≈ 4 MB here). */
export const MAX_EDIT_DISTANCE = 1000
/** Lines per side diffed line by line; longer texts are compared as prefix, suffix and one replaced middle. */
export const MAX_DIFF_LINES = 20_000
/** Unchanged lines shown around each change, as `diff -u` does. */
export const DIFF_CONTEXT_LINES = 3

export type DiffOp = ' ' | '-' | '+'

export interface DiffLine {
  op: DiffOp
  text: string
}

/** One hunk: `from_lines` lines of `from` starting at line `from_start` (1-based) become the ' ' and '+' lines. */
export interface DiffHunk {
  from_start: number
  from_lines: number
  to_start: number
  to_lines: number
  lines: DiffLine[]
}

/**
 * Hunks turning the lines of `from` into the lines of `to` (split on "\n", so joining the result with
 * "\n" rebuilds `to` exactly, with or without a final newline). Equal texts give no hunks.
 */
export function diffLines(from: readonly string[], to: readonly string[], contextLines = DIFF_CONTEXT_LINES): DiffHunk[] {
  return hunksOf(editScript(from, to), contextLines)
}

/** The whole edit script: every line of both sides, in order, marked kept, removed or added. */
export function editScript(a: readonly string[], b: readonly string[]): DiffLine[] {
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const midA = a.slice(start, endA)
  const midB = b.slice(start, endB)
  const middle =
    (midA.length <= MAX_DIFF_LINES && midB.length <= MAX_DIFF_LINES ? myers(midA, midB, MAX_EDIT_DISTANCE) : null) ?? replaceAll(midA, midB)
  const out: DiffLine[] = []
  for (let i = 0; i < start; i++) out.push({ op: ' ', text: a[i]! })
  for (const line of middle) out.push(line)
  for (let i = endA; i < a.length; i++) out.push({ op: ' ', text: a[i]! })
  return out
}

function replaceAll(a: readonly string[], b: readonly string[]): DiffLine[] {
  return [...a.map((text) => ({ op: '-' as const, text })), ...b.map((text) => ({ op: '+' as const, text }))]
}

/** Myers' greedy forward search, keeping each round's V to walk the path back; null past `maxD` edits. */
function myers(a: readonly string[], b: readonly string[], maxD: number): DiffLine[] | null {
  const n = a.length
  const m = b.length
  const limit = Math.min(maxD, n + m)
  const off = limit + 1
  const v = new Int32Array(2 * off + 1)
  // trace[d] is V as it stood before round d, for diagonals -d-1 … d+1 (index k + d + 1).
  const trace: Int32Array[] = []
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(off - d - 1, off + d + 2))
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[x] === b[y]) {
        x++
        y++
      }
      v[off + k] = x
      if (x >= n && y >= m) return backtrack(trace, a, b)
    }
  }
  return null
}

function backtrack(trace: readonly Int32Array[], a: readonly string[], b: readonly string[]): DiffLine[] {
  const out: DiffLine[] = []
  let x = a.length
  let y = b.length
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!
    const at = (k: number): number => v[k + d + 1]!
    const k = x - y
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1
    const prevX = at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      out.push({ op: ' ', text: a[x - 1]! })
      x--
      y--
    }
    if (d > 0) {
      if (x === prevX) out.push({ op: '+', text: b[y - 1]! })
      else out.push({ op: '-', text: a[x - 1]! })
    }
    x = prevX
    y = prevY
  }
  return out.reverse()
}

/** Groups an edit script into hunks: changes closer than two contexts share one hunk. */
function hunksOf(script: readonly DiffLine[], context: number): DiffHunk[] {
  const hunks: DiffHunk[] = []
  // Line numbers (0-based) in `from` and `to` before script[i].
  const fromAt: number[] = []
  const toAt: number[] = []
  let f = 0
  let t = 0
  for (const line of script) {
    fromAt.push(f)
    toAt.push(t)
    if (line.op !== '+') f++
    if (line.op !== '-') t++
  }
  let i = 0
  while (i < script.length) {
    if (script[i]!.op === ' ') {
      i++
      continue
    }
    const begin = Math.max(0, i - context)
    let end = i
    // Extend over changes and the equal runs between them that are short enough to keep together.
    for (;;) {
      while (end < script.length && script[end]!.op !== ' ') end++
      let run = end
      while (run < script.length && script[run]!.op === ' ') run++
      if (run < script.length && run - end <= 2 * context) end = run
      else {
        end = Math.min(script.length, end + context)
        break
      }
    }
    const lines = script.slice(begin, end)
    hunks.push({
      from_start: fromAt[begin]! + 1,
      from_lines: lines.filter((l) => l.op !== '+').length,
      to_start: toAt[begin]! + 1,
      to_lines: lines.filter((l) => l.op !== '-').length,
      lines: lines.map((l) => ({ op: l.op, text: l.text })),
    })
    i = end
  }
  return hunks
}
