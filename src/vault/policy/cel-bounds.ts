// Bounded CEL: `matches()` runs on RE2 (re2js, linear time in the subject) instead of the JS RegExp
// backtracker cel-js ships (`^(a+)+$` on 30 a's and a '!' blocked the event loop, every tenant's,
// for seconds, doubling per character). Patterns must be string literals, compiled once at
// registration (refused there with their position when RE2 rejects them: backreferences, lookaround)
// and bound to their call node; subjects and a rule's total regex work are capped; comprehensions nest
// at most twice. With cel-js's AST limits this bounds every rule's evaluation by its size times the
// request's, never exponentially.
import type { ParseResult } from '@marcbachmann/cel-js'
import { RE2JS } from 're2js'
import { charge } from './cel-cost.ts'
import { estimateRegexProgramSize } from './regex-size.ts'

/** Longest pattern: RE2's NFA costs pattern × subject, and a policy regex is a line, not a page. */
export const MAX_REGEX_PATTERN_CHARS = 512
/**
 * Largest RE2 program (instructions, re2js `programSize()`) one pattern may compile to. The NFA's work
 * is subject × program: `\\pL{1000}` (1,002 instructions) took 0.7 s on a 64 KiB subject, and
 * `.{1000}` repeated in 490 characters compiled to 70,002 instructions in 0.7 s. Counted repeats
 * are what grow programs; a policy regex is a line (`^acct_[0-9]{8,12}$` is 25).
 */
export const MAX_REGEX_PROGRAM_SIZE = 1000
/** Instructions all patterns of one policy may compile to together (~10 µs each to compile here). */
export const MAX_REGEX_PROGRAM_SIZE_PER_POLICY = 10_000
/** Longest subject one `matches()` reads; longer is a rule error (→ review, fail closed). */
export const MAX_REGEX_SUBJECT_CHARS = 65_536
/** Subject characters all `matches()` calls of one rule evaluation may read together. */
export const MAX_REGEX_CHARS_PER_RULE = 262_144
/** Comprehension macros (all, exists, exists_one, map, filter) inside each other: cost is n^depth. */
export const MAX_COMPREHENSION_NESTING = 2

const COMPREHENSIONS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])
/** Compiled patterns by source text; filled only by registrations (literals), so bounded by them. */
const compiled = new Map<string, RE2JS>()
const MAX_COMPILED = 10_000
let budget = MAX_REGEX_CHARS_PER_RULE
/** Instructions the policy being registered has compiled so far (compilePolicy resets it; registration is synchronous). */
let policyProgramSize = 0

/** Start counting a new policy's regex programs against MAX_REGEX_PROGRAM_SIZE_PER_POLICY. */
export function beginPolicyRegexes(): void {
  policyProgramSize = 0
}

/** Thrown inside an evaluation; cel-js reports it as the rule's runtime error (→ review). */
class RegexBoundError extends Error {}

export type PatternResult = { ok: true; re: RE2JS } | { ok: false; message: string }

/** Compile with RE2 (cached); the message says why RE2 refuses the pattern. */
export function compilePattern(pattern: string): PatternResult {
  let re = compiled.get(pattern)
  if (re === undefined) {
    const made = compileNew(pattern)
    if (!made.ok) return made
    re = made.re
  }
  const size = re.programSize()
  if (policyProgramSize + size > MAX_REGEX_PROGRAM_SIZE_PER_POLICY) {
    return { ok: false, message: `this policy's regexes compile to more than ${MAX_REGEX_PROGRAM_SIZE_PER_POLICY} RE2 instructions together; simplify them or split the policy` }
  }
  policyProgramSize += size
  return { ok: true, re }
}

function compileNew(pattern: string): PatternResult {
  if (pattern.length > MAX_REGEX_PATTERN_CHARS) {
    return { ok: false, message: `regex is ${pattern.length} characters; the limit is ${MAX_REGEX_PATTERN_CHARS}` }
  }
  // Refuse before compiling what would compile to far too much (compiling is itself the cost).
  const tooLarge = `regex compiles to more than ${MAX_REGEX_PROGRAM_SIZE} RE2 instructions (counted repeats like {1000} multiply its size); use a smaller pattern`
  if (estimateRegexProgramSize(pattern) > 2 * MAX_REGEX_PROGRAM_SIZE) return { ok: false, message: tooLarge }
  let re: RE2JS
  try {
    re = RE2JS.compile(pattern)
  } catch (err) {
    const why = err instanceof Error ? err.message : 'invalid pattern'
    return { ok: false, message: `regex not accepted by RE2 (linear-time; no backreferences or lookaround): ${why}` }
  }
  if (re.programSize() > MAX_REGEX_PROGRAM_SIZE) return { ok: false, message: tooLarge }
  if (compiled.size >= MAX_COMPILED) compiled.clear()
  compiled.set(pattern, re)
  return { ok: true, re }
}

/** One `matches()` call on RE2: a partial match (CEL semantics) of a string subject, within the rule's budget. */
function re2Test(re: RE2JS, subject: unknown): boolean {
  if (typeof subject !== 'string') throw new RegexBoundError(`matches(): the subject is ${typeof subject}, not string`)
  if (subject.length > MAX_REGEX_SUBJECT_CHARS) {
    throw new RegexBoundError(`matches(): subject is ${subject.length} characters; the limit is ${MAX_REGEX_SUBJECT_CHARS}`)
  }
  budget -= subject.length
  if (budget < 0) throw new RegexBoundError(`matches(): this rule read more than ${MAX_REGEX_CHARS_PER_RULE} characters with regexes`)
  // The NFA steps every live instruction per character: a tenth of a cost unit per character and instruction.
  charge(Math.ceil((subject.length * re.programSize()) / 10))
  return re.test(subject)
}

/** Called before each rule evaluation (evaluations are synchronous, so one counter serves all). */
export function resetRegexBudget(): void {
  budget = MAX_REGEX_CHARS_PER_RULE
}

interface AstLike {
  op: string
  args: unknown
  start?: number
  /** Set by cel-js's type check on call nodes: what evaluation runs with the resolved [receiver, ...args]. */
  handle?: unknown
}

function isAst(v: unknown): v is AstLike {
  return typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string'
}

export type BoundsProblem = { message: string; offset: number }

/**
 * Registration step on a parsed and type-checked `when`: every `matches()` pattern must be a string
 * literal RE2 compiles, and its call node is re-bound to that compiled RE2 (cel-js's own handler, a
 * JS RegExp, never runs: cel-js refuses a second overload of the signature and freezes the first, so
 * the checked node's handle is the seam); comprehensions nest at most MAX_COMPREHENSION_NESTING deep.
 * Returns the first problem with its offset in the expression, or null.
 */
export function bindBounds(program: ParseResult): BoundsProblem | null {
  return walk(program.ast as unknown as AstLike, 0)
}

function walk(node: AstLike, nesting: number): BoundsProblem | null {
  let depth = nesting
  if ((node.op === 'rcall' || node.op === 'call') && Array.isArray(node.args)) {
    const name = node.args[0]
    if (name === 'matches') {
      const problem = bindMatches(node)
      if (problem !== null) return problem
    }
    if (typeof name === 'string' && COMPREHENSIONS.has(name)) {
      depth++
      if (depth > MAX_COMPREHENSION_NESTING) {
        return { message: `comprehensions (${[...COMPREHENSIONS].join(', ')}) nest at most ${MAX_COMPREHENSION_NESTING} deep`, offset: node.start ?? 0 }
      }
    }
  }
  const children = Array.isArray(node.args) ? node.args : [node.args]
  for (const child of children) {
    const found = visit(child, depth)
    if (found !== null) return found
  }
  return null
}

function bindMatches(node: AstLike): BoundsProblem | null {
  const args = node.args as unknown[]
  // Only the method form `s.matches(re)` type-checks (cel-js declares no global matches(s, re)).
  const pattern = node.op === 'rcall' && Array.isArray(args[2]) && args[2].length === 1 ? (args[2] as unknown[])[0] : undefined
  const offset = isAst(pattern) ? (pattern.start ?? node.start ?? 0) : (node.start ?? 0)
  if (!isAst(pattern) || pattern.op !== 'value' || typeof pattern.args !== 'string') {
    return { message: 'matches() needs a string literal pattern (it is compiled once, when the policy is registered)', offset }
  }
  const compiledRe = compilePattern(pattern.args)
  if (!compiledRe.ok) return { message: compiledRe.message, offset }
  if (typeof node.handle !== 'function') return { message: 'matches(): the expression was not type-checked', offset }
  const re = compiledRe.re
  node.handle = function matchesWithRe2(values: unknown): boolean {
    // values = [receiver, pattern], resolved synchronously (no async functions are registered).
    if (!Array.isArray(values)) throw new RegexBoundError('matches(): asynchronous arguments are not supported')
    return re2Test(re, values[0])
  }
  return null
}

function visit(value: unknown, depth: number): BoundsProblem | null {
  if (isAst(value)) return walk(value, depth)
  if (Array.isArray(value)) {
    for (const v of value) {
      const found = visit(v, depth)
      if (found !== null) return found
    }
  }
  return null
}
