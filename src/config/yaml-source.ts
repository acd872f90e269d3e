// The parsed YAML document kept beside its plain value, so any problem found later (schema,
// normalising, cross-field checks) can name the line it comes from. Also formats YAML paths.
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml'
import type { Document, Node as YamlNode, YAMLError } from 'yaml'
import type { PathSegment, PendingProblem } from './problems.ts'

export interface YamlSource {
  /** The document as plain JS (aliases resolved); `{}` for an empty file. */
  value: unknown
  /** Syntax errors and warnings (unknown tags, …); when non-empty, `value` is unreliable. */
  syntaxProblems: Array<{ line: number | null; message: string }>
  /** 1-based line of the node at `path`, or of `key` inside the mapping at `path`; nearest ancestor if absent. */
  lineOf(path: readonly PathSegment[], key?: string | null): number | null
}

// yaml's default alias cap (100) already stops "billion laughs"; we keep it explicit.
const MAX_ALIAS_COUNT = 100

export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true })
  const syntaxProblems = describeYamlErrors(text, [...doc.errors, ...doc.warnings])
  let value: unknown = {}
  if (syntaxProblems.length === 0 && doc.contents !== null) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
    } catch (err) {
      syntaxProblems.push({ line: null, message: `YAML error: ${err instanceof Error ? err.message : String(err)}` })
    }
  }
  if (value === null || value === undefined) value = {}

  const lineAt = (offset: number): number => lineCounter.linePos(offset).line
  return {
    value,
    syntaxProblems,
    lineOf(path, key = null) {
      if (key !== null) {
        const line = entryLine(doc, path, key, lineAt)
        if (line !== null) return line
      }
      // The deepest part of the path present in the file; a mapping entry reports its key's line
      // (`match:`), not the line its block value starts on.
      for (let n = path.length; n > 0; n--) {
        const line = entryLine(doc, path.slice(0, n - 1), path[n - 1]!, lineAt)
        if (line !== null) return line
      }
      const root = doc.contents
      return root?.range ? lineAt(root.range[0]) : null
    },
  }
}

// One YAML mistake often derails the parser for the rest of the file; the first few say it all.
const MAX_SYNTAX_PROBLEMS = 3

function describeYamlErrors(text: string, errors: readonly YAMLError[]): YamlSource['syntaxProblems'] {
  const lines = text.split('\n')
  const out: YamlSource['syntaxProblems'] = []
  let hinted = false
  for (const e of errors.slice(0, MAX_SYNTAX_PROBLEMS)) {
    const pos = e.linePos?.[0]
    // prettyErrors appends " at line L, column C:" and a source excerpt; we print our own position.
    const headline = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')
    const source = pos === undefined ? '' : (lines[pos.line - 1] ?? '')
    // `{ port: ${PORT} }`: braces are flow indicators, so the reference must be quoted there.
    const hint = !hinted && /[{[].*\$\{/.test(source) ? ' — inside { } or [ ], quote values that use ${…}, e.g. "${PORT}"' : ''
    if (hint !== '') hinted = true
    out.push({
      line: pos === undefined ? null : pos.line,
      message: `YAML ${e.name === 'YAMLWarning' ? 'warning' : 'syntax error'}${pos === undefined ? '' : ` at column ${pos.col}`}: ${headline}${hint}`,
    })
  }
  if (errors.length > MAX_SYNTAX_PROBLEMS) {
    out.push({ line: null, message: `… and ${errors.length - MAX_SYNTAX_PROBLEMS} more YAML errors, probably caused by the ones above` })
  }
  return out
}

function nodeAt(doc: Document, path: readonly PathSegment[]): YamlNode | null {
  const node: unknown = path.length === 0 ? doc.contents : doc.getIn(path, true)
  return node !== null && typeof node === 'object' && 'range' in node ? (node as YamlNode) : null
}

/** Line of `key` in the mapping at `path`, or of item `key` in the list at `path`. */
function entryLine(doc: Document, path: readonly PathSegment[], key: PathSegment, lineAt: (o: number) => number): number | null {
  const parent = nodeAt(doc, path)
  if (isSeq(parent) && typeof key === 'number') {
    const item: unknown = parent.items[key]
    return item !== null && typeof item === 'object' && 'range' in item && (item as YamlNode).range ? lineAt((item as YamlNode).range![0]) : null
  }
  if (!isMap(parent)) return null
  for (const pair of parent.items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === String(key) && pair.key.range) return lineAt(pair.key.range[0])
  }
  return null
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/

/** `["routes", 1, "upstream"]` → `routes[1].upstream`; odd keys are quoted: `headers["x.y"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = ''
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`
    else out += `[${JSON.stringify(seg)}]`
  }
  return out
}

/** Resolves lines for problems collected without them. */
export function locate(source: YamlSource, pending: readonly PendingProblem[]): Array<{ path: string; line: number | null; message: string }> {
  return pending.map((p) => ({ path: formatPath(p.path), line: source.lineOf(p.path, p.key ?? null), message: p.message }))
}
