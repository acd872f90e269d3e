// A cheap upper estimate of the RE2 program a pattern compiles to, read from its text without
// compiling: compiling is itself the cost to avoid (re2js spent 0.7 s on `.{1000}` repeated in 490
// characters). Each atom is one instruction, a group adds two, alternation and `* + ?` one, and a
// counted repeat `{n}`, `{n,m}`, `{n,}` copies what it follows (RE2 expands it that way). The exact
// size (`programSize()`) is still checked after compiling; this only keeps absurd patterns from
// reaching the compiler, so erring high is fine.

interface Frame {
  total: number
  /** Size of the last item, which a following quantifier repeats. */
  last: number
}

const COUNTED = /^\{(\d{1,7})(?:(,)(\d{0,7}))?\}/

export function estimateRegexProgramSize(pattern: string): number {
  const stack: Frame[] = [{ total: 0, last: 0 }]
  let i = 0
  while (i < pattern.length) {
    const top = stack[stack.length - 1]!
    const c = pattern[i]
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2)
        const stop = end === -1 ? pattern.length : end
        add(top, Math.max(1, stop - (i + 2)))
        i = end === -1 ? pattern.length : end + 2
        continue
      }
      i = skipEscape(pattern, i)
      add(top, 1)
    } else if (c === '[') {
      i = skipClass(pattern, i)
      add(top, 1)
    } else if (c === '(') {
      i++
      if (pattern[i] === '?') {
        // (?flags) alone changes flags; (?flags:…), (?P<name>…), (?<name>…) open a group.
        let j = i + 1
        while (j < pattern.length && pattern[j] !== ')' && pattern[j] !== ':' && pattern[j] !== '>') j++
        if (pattern[j] === ')') {
          i = j + 1
          continue
        }
        i = j + 1
      }
      stack.push({ total: 0, last: 0 })
    } else if (c === ')') {
      i++
      if (stack.length === 1) {
        add(top, 1)
        continue
      }
      const closed = stack.pop()!
      add(stack[stack.length - 1]!, closed.total + 2)
    } else if (c === '|') {
      i++
      top.total += 1
      top.last = 0
    } else if (c === '*' || c === '+' || c === '?') {
      i++
      top.total += 1
    } else if (c === '{') {
      const m = COUNTED.exec(pattern.slice(i, i + 20))
      if (m === null) {
        i++
        add(top, 1)
        continue
      }
      i += m[0].length
      const min = Number(m[1])
      const max = m[2] === undefined ? min : m[3] === '' ? min + 1 : Number(m[3])
      const copies = Math.max(min, max, 1)
      top.total += top.last * (copies - 1) + 1
      top.last *= copies
    } else {
      // One character (a surrogate pair is two code units and one instruction: erring high is fine).
      i++
      add(top, 1)
    }
  }
  let sum = 0
  for (const f of stack) sum += f.total
  return sum
}

function add(frame: Frame, size: number): void {
  frame.total += size
  frame.last = size
}

/** Past one escape: `\x{…}`, `\p{…}`, `\P{…}`, `\pL`, `\xHH`, octal or a single character. */
function skipEscape(pattern: string, i: number): number {
  const kind = pattern[i + 1]
  if ((kind === 'x' || kind === 'p' || kind === 'P') && pattern[i + 2] === '{') {
    const end = pattern.indexOf('}', i + 3)
    return end === -1 ? pattern.length : end + 1
  }
  if (kind === 'p' || kind === 'P') return i + 3
  if (kind === 'x') return i + 4
  return i + 2
}

/** Past a character class `[…]` (a `]` first is literal; `[:alpha:]` and escapes inside). */
function skipClass(pattern: string, i: number): number {
  let j = i + 1
  if (pattern[j] === '^') j++
  if (pattern[j] === ']') j++
  while (j < pattern.length) {
    const c = pattern[j]
    if (c === '\\') j = skipEscape(pattern, j)
    else if (c === '[' && pattern[j + 1] === ':') {
      const end = pattern.indexOf(':]', j + 2)
      j = end === -1 ? j + 1 : end + 2
    } else if (c === ']') return j + 1
    else j++
  }
  return j
}
