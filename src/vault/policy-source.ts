// Policy text as operators write it (YAML or JSON) for the dashboard's upload and dry-run: parsed with
// the yaml package keeping node ranges, compiled by the real policy compiler, and every problem placed
// at a line and column (a schema problem at the node its path names). Also the canonical text of a
// stored version (what the version diff compares).
import { LineCounter, isMap, isNode, isScalar, parseDocument, stringify } from 'yaml'
import type { Document } from 'yaml'
import { compilePolicy } from './policy/index.ts'
import type { CompiledPolicy } from './policy/index.ts'

export type PolicyFormat = 'yaml' | 'json'

/** Alias expansion bound (an alias bomb is not a policy), as the policies_dir loader pins it. */
const MAX_ALIAS_COUNT = 100

export interface SourceProblem {
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /** The registration path the problem is about (`rules[2].when`), '' for syntax problems. */
  path: string
  message: string
}

export type ParsedPolicy = { ok: true; policy: CompiledPolicy } | { ok: false; errors: SourceProblem[] }

/** Parse and compile one policy (a mapping, the POST /register-policy body) from YAML or JSON text. */
export function parsePolicySource(content: string, format: PolicyFormat): ParsedPolicy {
  const lineCounter = new LineCounter()
  const doc = parseDocument(content, { lineCounter, uniqueKeys: true, prettyErrors: false })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0])
        return { line: pos.line, column: pos.col, path: '', message: `${format === 'json' ? 'JSON' : 'YAML'}: ${e.message.split('\n', 1)[0] ?? ''}` }
      }),
    }
  }
  if (format === 'json') {
    // YAML accepts more than JSON (comments, single quotes, plain strings): JSON text must be JSON.
    const problem = strictJsonProblem(content, lineCounter)
    if (problem !== null) return { ok: false, errors: [problem] }
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    return { ok: false, errors: [{ line: 1, column: 1, path: '', message: `YAML: ${err instanceof Error ? err.message : 'cannot be read'}` }] }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const at = startOf(doc, lineCounter, [])
    return { ok: false, errors: [{ ...at, path: '', message: 'expected one policy: a mapping with policy_id, rules and optionally description and tools' }] }
  }
  const compiled = compilePolicy(value)
  if (compiled.ok) return compiled
  return {
    ok: false,
    errors: compiled.errors.map((p) => {
      const segments = splitPath(p.path)
      const at = startOf(doc, lineCounter, segments, p.message.startsWith('unknown key'))
      return { ...at, column: at.column + celColumnOffset(doc, content, segments, p.message), path: p.path, message: p.message }
    }),
  }
}

/**
 * A CEL error names a column inside the expression; when the `when` is a one-line plain or quoted
 * scalar, that column maps onto the file (a folded or escaped one keeps the node's own position).
 */
function celColumnOffset(doc: Document, content: string, segments: Array<string | number>, message: string): number {
  if (segments[segments.length - 1] !== 'when') return 0
  const m = /at column (\d+)/.exec(message)
  const node = doc.getIn(segments, true)
  if (m === null || !isScalar(node) || node.range == null || typeof node.value !== 'string') return 0
  const source = content.slice(node.range[0], node.range[1])
  if (source.includes('\n') || source.includes('\\')) return 0
  const quote = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : node.type === 'PLAIN' ? 0 : -1
  if (quote < 0 || source.length !== node.value.length + 2 * quote) return 0
  return Math.min(Number(m[1]), node.value.length + 1) - 1 + quote
}

/** null when `content` is strict JSON; else the problem, placed where V8 says when it says. */
function strictJsonProblem(content: string, lineCounter: LineCounter): SourceProblem | null {
  try {
    JSON.parse(content)
    return null
  } catch (err) {
    const message = err instanceof Error ? err.message : 'not valid JSON'
    const at = /at position (\d+)/.exec(message)
    const pos = at === null ? { line: 1, col: 1 } : lineCounter.linePos(Number(at[1]))
    // V8 quotes the input in some messages: keep only the part before the quote.
    const text = message.replace(/, ".*$/s, '').replace(/ in JSON at position \d+.*$/s, '')
    return { line: pos.line, column: pos.col, path: '', message: `JSON: ${text}` }
  }
}

/** `rules[2].when` → ['rules', 2, 'when'] */
export function splitPath(path: string): Array<string | number> {
  const out: Array<string | number> = []
  for (const m of path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) out.push(m[1] !== undefined ? Number(m[1]) : (m[2] as string))
  return out
}

/**
 * Line and column of the deepest node on `segments` that exists (a missing key points at its parent);
 * `atKey` places the last segment at its key rather than its value (an unknown key).
 */
function startOf(doc: Document, lineCounter: LineCounter, segments: Array<string | number>, atKey = false): { line: number; column: number } {
  if (atKey && segments.length > 0) {
    const parent = segments.length === 1 ? doc.contents : doc.getIn(segments.slice(0, -1), true)
    const last = segments[segments.length - 1]
    if (isMap(parent)) {
      for (const pair of parent.items) {
        if (isScalar(pair.key) && pair.key.value === last && pair.key.range != null) return position(lineCounter, pair.key.range[0])
      }
    }
  }
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true)
    if (isNode(node) && node.range != null) return position(lineCounter, node.range[0])
  }
  return { line: 1, column: 1 }
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const p = lineCounter.linePos(offset)
  return { line: p.line, column: p.col }
}

/** The canonical text of a stored (normalised) registration: what a version diff compares. */
export function canonicalPolicyText(document: unknown, format: PolicyFormat): string {
  if (format === 'json') return JSON.stringify(document, null, 2) + '\n'
  // Plain block style, no line folding (a long `when` stays one line), no anchors for repeated values.
  return stringify(document, { lineWidth: 0, aliasDuplicateObjects: false })
}
