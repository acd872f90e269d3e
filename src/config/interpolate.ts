// `${VAR}` and `${VAR:-default}` in YAML string values (never in keys). `$${` writes a literal `${`.
// Results are strings; validate.ts turns one into a number or boolean where the schema wants that,
// so `port: ${PORT}` works however the value is quoted.
import type { PathSegment, PendingProblem } from './problems.ts'

const REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/

export interface InterpolationResult {
  value: unknown
  problems: PendingProblem[]
  /** Paths of the values where a reference was replaced. */
  replaced: PathSegment[][]
}

/** Replaces references throughout `value` (a fresh toJS() result, mutated in place). */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv): InterpolationResult {
  const problems: PendingProblem[] = []
  const replaced: PathSegment[][] = []
  const walk = (node: unknown, path: PathSegment[]): unknown => {
    if (typeof node !== 'string') return walkChildren(node, path)
    if (!node.includes('$')) return node
    const result = substitute(node, env, path, problems)
    if (result.replaced) replaced.push(path)
    return result.text
  }
  const walkChildren = (node: unknown, path: PathSegment[]): unknown => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) node[i] = walk(node[i], [...path, i])
    } else if (node !== null && typeof node === 'object') {
      const obj = node as Record<string, unknown>
      for (const key of Object.keys(obj)) obj[key] = walk(obj[key], [...path, key])
    }
    return node
  }
  return { value: walk(value, []), problems, replaced }
}

/** The substituted text (the input unchanged after a problem) and whether a reference was replaced. */
function substitute(
  text: string,
  env: NodeJS.ProcessEnv,
  path: readonly PathSegment[],
  problems: PendingProblem[],
): { text: string; replaced: boolean } {
  const unchanged = { text, replaced: false }
  let out = ''
  let replaced = false
  let i = 0
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${'
      i += 3
      continue
    }
    if (!text.startsWith('${', i)) {
      out += text[i]
      i++
      continue
    }
    const end = text.indexOf('}', i + 2)
    if (end === -1) {
      problems.push({ path, message: `unterminated "\${" — write \${NAME}, \${NAME:-default}, or $\${ for a literal "\${"` })
      return unchanged
    }
    const m = REFERENCE.exec(text.slice(i + 2, end))
    if (m === null) {
      problems.push({ path, message: `invalid reference "${text.slice(i, end + 1)}" — write \${NAME} or \${NAME:-default} (NAME: letters, digits, _)` })
      return unchanged
    }
    const name = m[1]!
    const fallback = m[2]
    const set = env[name]
    // Shell semantics: `:-` also applies when the variable is set but empty.
    if (fallback !== undefined && (set === undefined || set === '')) out += fallback
    else if (set !== undefined) out += set
    else {
      problems.push({ path, message: `environment variable ${name} is not set — set it, or write \${${name}:-default}` })
      return unchanged
    }
    replaced = true
    i = end + 1
  }
  return { text: out, replaced }
}
