// The CEL environment rule `when` expressions run in: the six variables they may read, compile-time
// checks (syntax, types, boolean result) and a runner that turns every runtime failure into a value.
//
// Numbers: tool_args and context come from JSON, and CEL's JSON mapping makes every JSON number a
// `double` (google.protobuf.Value.number_value), so 1500 and 1500.5 are both doubles here. CEL
// compares across numeric types, so `tool_args.amount > 1000` and `> 1000.0` both work for either
// value. Arithmetic does not mix: `tool_args.amount + 1` is a runtime error (no `double + int`
// overload); write `tool_args.amount + 1.0` or `int(tool_args.amount) + 1`.
// Missing keys: `tool_args.missing` is a runtime error (→ review); guard with `has(tool_args.x)` or
// read with optional chaining, `tool_args.?x.orValue(0.0)`.
// Regexes: `matches()` is RE2 (linear time), patterns are literals compiled at registration, and every
// rule's evaluation is bounded (cel-bounds.ts).
import { Environment } from '@marcbachmann/cel-js'
import type { ParseResult } from '@marcbachmann/cel-js'
import { beginPolicyRegexes, bindBounds, resetRegexBudget } from './cel-bounds.ts'
import { MAX_RULE_COST, meterProgram, spentCost, startCost } from './cel-cost.ts'
import type { EvaluationInput } from './types.ts'

/** Longest `when` expression accepted; rules are written by people, not generated. */
export const MAX_WHEN_LENGTH = 4096

/** The variables a `when` expression may read, in the order the docs list them. */
export const CEL_VARIABLES = ['tool_name', 'tool_args', 'agent_id', 'session_id', 'context', 'now'] as const

// Built once: creating an Environment is the expensive part (cel-js README). Limits are far below the
// library's defaults (100k nodes, depth 250) because a rule that large is a mistake, not a policy.
const env = new Environment({
  enableOptionalTypes: true,
  limits: { maxAstNodes: 4096, maxDepth: 64, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 },
})
  .registerVariable('tool_name', 'string')
  .registerVariable('tool_args', 'map')
  .registerVariable('agent_id', 'string')
  .registerVariable('session_id', 'string')
  .registerVariable('context', 'map')
  // cel-js registers CEL's timestamp under its protobuf name; JS Date values are accepted.
  .registerVariable('now', 'google.protobuf.Timestamp')

export type CompiledWhen = { ok: true; program: ParseResult } | { ok: false; message: string }

/** Parse and type-check once; the expression must have type bool. */
export function compileWhen(expression: string): CompiledWhen {
  if (expression.length > MAX_WHEN_LENGTH) {
    return { ok: false, message: `expression is ${expression.length} characters; the limit is ${MAX_WHEN_LENGTH}` }
  }
  if (expression.trim() === '') return { ok: false, message: 'expression is empty; use "true" to match every call' }
  let program: ParseResult
  try {
    program = env.parse(expression)
  } catch (err) {
    return { ok: false, message: describeCelError('CEL syntax error', err, expression) }
  }
  const checked = program.check()
  if (!checked.valid) return { ok: false, message: describeCelError('CEL type error', checked.error, expression) }
  if (checked.type !== 'bool') {
    const hint = checked.type === 'dyn' ? ' (compare explicitly, e.g. `tool_args.flag == true`)' : ''
    return { ok: false, message: `expression must evaluate to bool, but its type is ${checked.type}${hint}` }
  }
  const unbounded = bindBounds(program)
  if (unbounded !== null) return { ok: false, message: `CEL bound error at ${positionOf(expression, unbounded.offset)}: ${unbounded.message}` }
  // Last: wraps the handles bindBounds set (matches() on RE2) with the rest.
  meterProgram(program)
  return { ok: true, program }
}

/** The activation a program runs against; built once per evaluation and shared by every rule. */
export type Activation = Record<(typeof CEL_VARIABLES)[number], unknown>

export function buildActivation(input: EvaluationInput): Activation {
  return {
    tool_name: input.toolName,
    tool_args: input.toolArgs,
    agent_id: input.agentId,
    session_id: input.sessionId,
    context: input.context,
    now: new Date(input.nowMs),
  }
}

/** `costUnits`: what the evaluation spent (cel-cost.ts), also when it failed. */
export type WhenResult = { ok: true; matched: boolean; costUnits: number } | { ok: false; message: string; costUnits: number }

/**
 * Run a compiled `when` within `maxCostUnits` (cel-cost.ts; default one rule's budget). Never throws:
 * any failure (missing key, bad overload, bad regex, the cost bound) is a value.
 */
export function runWhen(program: ParseResult, activation: Activation, maxCostUnits: number = MAX_RULE_COST): WhenResult {
  let value: unknown
  resetRegexBudget()
  startCost(maxCostUnits)
  try {
    value = program(activation)
  } catch (err) {
    return { ok: false, message: summaryOf(err), costUnits: spentCost() }
  }
  const costUnits = spentCost()
  if (typeof value !== 'boolean') return { ok: false, message: `expression returned ${typeof value}, not bool`, costUnits }
  return { ok: true, matched: value, costUnits }
}

/**
 * Proof at load that `matches()` runs on RE2: `(?i)` is RE2 syntax and a syntax error to JS RegExp, so
 * this is true only through the node binding. Should a cel-js upgrade move that seam, the module
 * refuses to load (the Vault to start) rather than evaluate policies with a backtracking engine.
 */
function assertRe2Bound(): void {
  const probe = compileWhen('"ABC".matches("(?i)^abc$")')
  const result = probe.ok ? runWhen(probe.program, buildActivation({ toolName: '', toolArgs: {}, agentId: '', sessionId: '', context: {}, nowMs: 0 })) : null
  if (result === null || !result.ok || !result.matched) {
    throw new Error('CEL matches() is not bound to the RE2 engine (a @marcbachmann/cel-js change?); refusing to evaluate policies')
  }
  // And that the cost meter sees what evaluation runs: a 4-element comprehension over a 3-unit budget fails.
  const loop = compileWhen('[1, 2, 3, 4].all(x, x > 0)')
  const metered = loop.ok ? runWhen(loop.program, buildActivation({ toolName: '', toolArgs: {}, agentId: '', sessionId: '', context: {}, nowMs: 0 }), 3) : null
  if (metered === null || metered.ok) {
    throw new Error('CEL evaluation is not metered (a @marcbachmann/cel-js change?); refusing to evaluate policies')
  }
  beginPolicyRegexes()
}

function summaryOf(err: unknown): string {
  if (err !== null && typeof err === 'object') {
    const e = err as { summary?: unknown; message?: unknown }
    if (typeof e.summary === 'string') return e.summary
    if (typeof e.message === 'string') return e.message.split('\n', 1)[0] ?? 'evaluation failed'
  }
  return 'evaluation failed'
}

/**
 * "CEL syntax error at column 14: Unexpected token: EOF" — one line, position from the error's range;
 * multi-line expressions (YAML block scalars) say "at line 2, column 3 of the expression".
 */
function describeCelError(kind: string, err: unknown, expression: string): string {
  const summary = summaryOf(err)
  const range = (err as { range?: { start?: unknown } } | undefined)?.range
  if (range === undefined || typeof range.start !== 'number') return `${kind}: ${summary}`
  return `${kind} at ${positionOf(expression, range.start)}: ${summary}`
}

/** "column 14", or "line 2, column 3 of the expression" for multi-line expressions. */
function positionOf(expression: string, offset: number): string {
  const before = expression.slice(0, offset)
  const line = before.split('\n').length
  const column = offset - before.lastIndexOf('\n')
  return expression.includes('\n') ? `line ${line}, column ${column} of the expression` : `column ${column}`
}

assertRe2Bound()
