// A deterministic cost meter for CEL rule evaluation (issue 16, availability). Nesting limits alone
// left a rule's work the product of its input sizes: `tool_args.items.all(x, tool_args.items.all(y,
// x == y))` on a 10,000-element list (a 20 KB body) held the Vault's event loop 30 s, every tenant's,
// and one loop over a long string did the same with a single comprehension. Synchronous CEL cannot be
// interrupted, so the work is metered where it happens instead: every operator, function and
// comprehension node's handler is wrapped at registration and charges the meter before it runs, in
// units like cel-go's runtime cost (1 per call, 1 per element it reads, a fraction per character). Over
// the budget the rule fails (→ review, fail closed): the same inputs always cost the same, so the
// decision does not depend on load.
import type { ParseResult } from '@marcbachmann/cel-js'

/**
 * One rule's budget. A unit is one operator or function call, one element it reads or 16 characters;
 * a comprehension step is ITERATION_COST. Measured here (2 cores): the worst shapes found (nested
 * loops, string concatenation in a loop, lists built per step) ran ≤ ~60 ms on 200k units, while a
 * rule over a realistic call (a few dozen fields, a 1,000-item list) costs a few thousand.
 */
export const MAX_RULE_COST = 200_000
/** All rules of one clearance together: a tenant's many policies must not add up to seconds. */
export const MAX_EVALUATION_COST = 500_000
/** Characters per unit: string work is a native loop, cheaper per character than a node (size() ~5 ns a character). */
const CHARS_PER_UNIT = 16
/** A comprehension step: binding the variable and running the step (~1 µs when it builds a list). */
const ITERATION_COST = 4

/** Thrown inside an evaluation when the budget is spent; cel-js reports it as the rule's error. */
export class CostBoundError extends Error {}

let remaining = MAX_RULE_COST
let limit = MAX_RULE_COST
// One instance, thrown again by every handler once the budget is gone: a comprehension whose step
// fails keeps iterating (cel-js collects errors), so the tail must cost no stack capture per element.
let exhausted: CostBoundError | null = null

/** The evaluation's one refusal, made at the first overrun (not per evaluation: most never overrun). */
function overBudget(): CostBoundError {
  exhausted ??= new CostBoundError(
    `evaluation cost above ${limit} units (the rule reads too much of the call: large lists, long strings or nested loops over them)`,
  )
  return exhausted
}

/** Arm the meter for one rule evaluation with `units` (evaluations are synchronous: one meter serves all). */
export function startCost(units: number): void {
  limit = units
  remaining = units
  exhausted = null
}

/** Units spent since startCost (never more than its budget plus the last charge). */
export function spentCost(): number {
  return limit - remaining
}

/** Charge `units`; throws once the budget is spent. */
export function charge(units: number): void {
  remaining -= units
  if (remaining < 0) throw overBudget()
}

/** Charge 1 + the size of `value` (elements and entries at every depth, characters / 10), stopping at the budget. */
export function chargeValue(value: unknown): void {
  remaining -= 1
  if (remaining < 0) throw overBudget()
  if (typeof value === 'string') {
    remaining -= Math.ceil(value.length / CHARS_PER_UNIT)
    if (remaining < 0) throw overBudget()
  } else if (typeof value === 'object' && value !== null) chargeContainer(value)
}

function chargeContainer(value: object): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) chargeValue(value[i])
  } else if (value instanceof Map) {
    for (const [k, v] of value) {
      chargeValue(k)
      chargeValue(v)
    }
  } else if (value instanceof Set) {
    for (const v of value) chargeValue(v)
  } else if (ArrayBuffer.isView(value)) {
    charge(Math.ceil(value.byteLength / CHARS_PER_UNIT))
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const record = value as Record<string, unknown>
    for (const key in record) chargeValue(record[key])
  }
  // Anything else (Date, cel-js Duration, optionals, type values) is one unit.
}

/** How many elements a comprehension will step over (a map iterates its keys). */
function iterationsOf(value: unknown): number {
  if (Array.isArray(value)) return value.length
  if (value instanceof Map || value instanceof Set) return value.size
  if (typeof value === 'object' && value !== null) {
    let n = 0
    for (const _ in value) n++
    return n
  }
  return 0
}

type Handle = (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown) => unknown

interface MeteredNode {
  op: string
  args: unknown
  handle?: unknown
  readonly meta?: { alternate?: unknown; macro?: unknown }
}

const BINARY = new Set(['==', '!=', '<', '<=', '>', '>=', 'in', '+', '-', '*', '/', '%'])
const UNARY = new Set(['!_', '-_'])
const ACCESS = new Set(['.', '.?', '[]', '[?]', '?:'])
const kMetered = Symbol('ledgix.celMetered')

function isNode(v: unknown): v is MeteredNode {
  return typeof v === 'object' && v !== null && typeof (v as { op?: unknown }).op === 'string'
}

/**
 * Wrap every handler of a parsed and type-checked program (cel-js sets `handle` on each operator,
 * call and comprehension node when it checks, and evaluation calls exactly that). Walks the macro
 * expansions too (`all`, `map`… live in the node's `meta.alternate`). Call after every other
 * re-binding of handles (cel-bounds.ts binds `matches()` to RE2 first).
 */
export function meterProgram(program: ParseResult): void {
  const seen = new Set<MeteredNode>()
  const stack: unknown[] = [program.ast]
  while (stack.length > 0) {
    const value = stack.pop()
    if (Array.isArray(value)) {
      for (const v of value) stack.push(v)
      continue
    }
    if (!isNode(value) || seen.has(value)) continue
    seen.add(value)
    meterNode(value)
    const args = value.args
    if (value.op === 'comprehension' && typeof args === 'object' && args !== null) {
      const c = args as { iterable?: unknown; init?: unknown; step?: unknown }
      stack.push(c.iterable, c.init, c.step)
    } else stack.push(args)
    const meta = value.meta
    if (meta?.alternate !== undefined) stack.push(meta.alternate)
    const macro = meta?.macro as { val?: unknown; exp?: unknown; args?: unknown; macroHasProps?: unknown } | undefined
    if (macro !== undefined) stack.push(macro.val, macro.exp, macro.args, macro.macroHasProps)
  }
}

function meterNode(node: MeteredNode): void {
  const inner = node.handle
  if (typeof inner !== 'function' || (inner as { [kMetered]?: true })[kMetered] === true) return
  const h = inner as Handle
  let metered: Handle
  const name = Array.isArray(node.args) ? node.args[0] : undefined
  if (node.op === 'rcall' || node.op === 'call') {
    // rcall: handle([receiver, ...args], ev, ast); call: handle([...args], ast, ev)
    metered =
      name === 'size'
        ? function meteredSize(values, b, c, d) {
            chargeList(values)
            // cel-js counts a string's code points with for…of: 20–200 ns a character here.
            if (Array.isArray(values) && values.length === 1 && typeof values[0] === 'string') return BigInt(codePointCount(values[0]))
            return h.call(this, values, b, c, d)
          }
        : name === 'split'
          ? function meteredSplit(values, b, c, d) {
              // The result may hold a string per character: charge one unit per character up front.
              if (Array.isArray(values) && typeof values[0] === 'string') charge(values[0].length)
              chargeList(values)
              return h.call(this, values, b, c, d)
            }
          : function meteredCall(values, b, c, d) {
              chargeList(values)
              return h.call(this, values, b, c, d)
            }
  } else if (node.op === 'comprehension') {
    // handle(iterable, args, ev, ctx): each element costs a step, charged before the loop starts.
    metered = function meteredLoop(iterable, b, c, d) {
      charge(1 + ITERATION_COST * iterationsOf(iterable))
      return h.call(this, iterable, b, c, d)
    }
  } else if (BINARY.has(node.op)) {
    metered = function meteredBinary(left, right, c, d) {
      chargeValue(left)
      chargeValue(right)
      const result = h.call(this, left, right, c, d)
      // `a + b` on strings is a V8 rope: every later character walk over a rope (size(), lowerAscii())
      // ran ~100 ns a character. Flatten it once here, at memcpy speed (charCodeAt flattens).
      if (typeof result === 'string' && result.length > 0) result.charCodeAt(0)
      return result
    }
  } else if (UNARY.has(node.op)) {
    metered = function meteredUnary(value, b, c, d) {
      chargeValue(value)
      return h.call(this, value, b, c, d)
    }
  } else if (ACCESS.has(node.op)) {
    // A field, index or branch: constant work, whatever the size of the container.
    metered = function meteredStep(a, b, c, d) {
      charge(1)
      return h.call(this, a, b, c, d)
    }
  } else {
    metered = function meteredOther(a, b, c, d) {
      charge(1)
      return h.call(this, a, b, c, d)
    }
  }
  ;(metered as { [kMetered]?: true })[kMetered] = true
  node.handle = metered
}

/** What cel-js's size(string) answers (code points; a lone surrogate counts one), in one charCode pass. */
function codePointCount(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        n--
        i++
      }
    }
  }
  return n
}

function chargeList(values: unknown): void {
  if (!Array.isArray(values)) return charge(1)
  for (let i = 0; i < values.length; i++) chargeValue(values[i])
}
