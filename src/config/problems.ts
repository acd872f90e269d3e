// What a bad config produces: every problem with its YAML path, line and fix, gathered into one
// ConfigError, and the one-line-per-problem text the CLI and the reload log print.

export type PathSegment = string | number

/** A problem before its line is looked up (normalising and cross-field checks know only the path). */
export interface PendingProblem {
  path: readonly PathSegment[]
  /** For "unknown key" problems: the offending key inside the mapping at `path` (its line is reported). */
  key?: string | null
  message: string
}

export interface ConfigProblem {
  /** YAML path like `routes[1].upstream.timeout`; '' for the whole file. */
  path: string
  /** 1-based line in the file, or null when the problem has no place (file unreadable, key absent everywhere). */
  line: number | null
  message: string
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[]
  readonly file: string

  constructor(file: string, problems: readonly ConfigProblem[]) {
    const n = problems.length
    super(`${file}: ${n} configuration problem${n === 1 ? '' : 's'}${n > 0 ? `; first: ${formatProblem(file, problems[0]!)}` : ''}`)
    this.name = 'ConfigError'
    this.file = file
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })))
  }
}

/** `gateway.yaml:14 routes[1].upstream.timeout: expected a duration like "30s", got "30 sec"` */
export function formatProblem(file: string, p: ConfigProblem): string {
  const where = p.line === null ? file : `${file}:${p.line}`
  return p.path === '' ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`
}

/** One line per problem, in file order, no trailing newline. */
export function formatProblems(err: ConfigError): string {
  return err.problems.map((p) => formatProblem(err.file, p)).join('\n')
}

/** File order (problems without a line last), duplicates dropped. */
export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>()
  const unique = problems.filter((p) => {
    const id = `${p.line}\u0000${p.path}\u0000${p.message}`
    if (seen.has(id)) return false
    seen.add(id)
    return true
  })
  return unique
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p)
}

/** Edit distance (optimal string alignment), as commander's suggestSimilar uses. */
function editDistance(a: string, b: string): number {
  const d: number[][] = []
  for (let i = 0; i <= a.length; i++) d.push([i])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1)
      d[i]![j] = v
    }
  }
  return d[a.length]![b.length]!
}

/** The closest candidate, if it is close enough to be what was meant (camelCase maps to snake_case). */
export function suggest(word: string, candidates: readonly string[]): string | null {
  const snake = word.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toLowerCase()
  if (snake !== word && candidates.includes(snake)) return snake
  let best: string | null = null
  let bestDistance = Infinity
  for (const c of candidates) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase())
    // commander's bounds (2 edits, over 40% kept), widened for long keys: trusted_proxy → trusted_proxies is 3.
    const maxDistance = Math.max(2, Math.floor(word.length / 4))
    const longer = Math.max(word.length, c.length)
    if (dist <= maxDistance && (longer - dist) / longer > 0.4 && dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  return best
}

/** `"a", "b" or "c"` for messages. */
export function listChoices(values: readonly unknown[]): string {
  const quoted = values.map((v) => JSON.stringify(v))
  return quoted.length <= 1 ? quoted.join('') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
}

/** A short, safe rendering of a value for "got …" (long strings are cut). */
export function describeValue(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'a list'
  if (typeof v === 'object') return 'a mapping'
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)
  return String(v)
}
