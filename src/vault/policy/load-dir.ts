// Loading policies from a directory of YAML files (*.yaml, *.yml; each file one policy or a list),
// collecting every problem with its file, YAML path and line before anything is used.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { LineCounter, isNode, parseDocument } from 'yaml'
import type { Document } from 'yaml'
import { compilePolicy } from './compile.ts'
import type { CompiledPolicy } from './types.ts'

export interface PolicyLoadProblem {
  /** Path of the file as joined from the directory given. */
  file: string
  /** YAML path inside the file, like `[1].rules[2].when`; '' for the whole file. */
  path: string
  /** 1-based line, when the problem can be placed. */
  line: number | null
  message: string
}

export type PolicyLoadResult = { ok: true; policies: CompiledPolicy[] } | { ok: false; errors: PolicyLoadProblem[] }

/** An alias bomb is not a policy: bound alias expansion (yaml's default is 100 as well; pinned here). */
const MAX_ALIAS_COUNT = 100

/** `payments.yaml: rules[2].when (line 14): CEL syntax error at …`; `bad.yaml (line 2): YAML: …` */
export function formatLoadProblem(p: PolicyLoadProblem): string {
  let where = p.file
  if (p.path !== '') where += `: ${p.path}`
  if (p.line !== null) where += ` (line ${p.line})`
  return `${where}: ${p.message}`
}

/** Every *.yaml / *.yml file directly in `dir`, in name order; all or nothing. */
export async function loadPoliciesDir(dir: string): Promise<PolicyLoadResult> {
  let names: string[]
  try {
    const entries = await readdir(dir, { withFileTypes: true })
    names = entries
      .filter((e) => e.isFile() && (e.name.endsWith('.yaml') || e.name.endsWith('.yml')))
      .map((e) => e.name)
      .sort()
  } catch (err) {
    const code = (err as { code?: unknown }).code
    const message = `cannot read the policy directory (${typeof code === 'string' ? code : 'error'}); check the path and its permissions`
    return { ok: false, errors: [{ file: dir, path: '', line: null, message }] }
  }

  const errors: PolicyLoadProblem[] = []
  const policies: CompiledPolicy[] = []
  const definedIn = new Map<string, string>()
  for (const name of names) {
    const file = join(dir, name)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      const code = (err as { code?: unknown }).code
      errors.push({ file, path: '', line: null, message: `cannot read file (${typeof code === 'string' ? code : 'error'})` })
      continue
    }
    for (const loaded of parsePolicyFile(file, text, errors)) {
      const previous = definedIn.get(loaded.policy.policyId)
      if (previous !== undefined) {
        errors.push({ ...loaded.at, message: `duplicate policy_id "${loaded.policy.policyId}", already defined in ${previous}` })
        continue
      }
      definedIn.set(loaded.policy.policyId, file)
      policies.push(loaded.policy)
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, policies }
}

interface Loaded {
  policy: CompiledPolicy
  at: Omit<PolicyLoadProblem, 'message'>
}

function parsePolicyFile(file: string, text: string, errors: PolicyLoadProblem[]): Loaded[] {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true })
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      // Pretty messages end in " at line L, column C:" and a source excerpt; the line is reported separately.
      const first = (e.message.split('\n', 1)[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')
      errors.push({ file, path: '', line: e.linePos?.[0].line ?? null, message: `YAML: ${first}` })
    }
    return []
  }
  let value: unknown
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (err) {
    errors.push({ file, path: '', line: null, message: `YAML: ${err instanceof Error ? err.message : 'cannot be read'}` })
    return []
  }
  if (value === null || value === undefined) {
    errors.push({ file, path: '', line: null, message: 'file is empty; expected a policy mapping or a list of policies' })
    return []
  }
  const items: Array<{ prefix: string; segments: Array<string | number>; raw: unknown }> = Array.isArray(value)
    ? value.map((raw, i) => ({ prefix: `[${i}]`, segments: [i], raw }))
    : [{ prefix: '', segments: [], raw: value }]

  const out: Loaded[] = []
  for (const item of items) {
    const result = compilePolicy(item.raw)
    if (result.ok) {
      const path = item.prefix === '' ? 'policy_id' : `${item.prefix}.policy_id`
      const line = lineOf(doc, lineCounter, [...item.segments, 'policy_id'])
      out.push({ policy: result.policy, at: { file, path, line } })
      continue
    }
    for (const problem of result.errors) {
      const segments = [...item.segments, ...splitPath(problem.path)]
      const path = problem.path === '' ? item.prefix : item.prefix === '' ? problem.path : `${item.prefix}.${problem.path}`
      errors.push({ file, path, line: lineOf(doc, lineCounter, segments), message: problem.message })
    }
  }
  return out
}

/** `rules[2].when` → ['rules', 2, 'when'] */
function splitPath(path: string): Array<string | number> {
  const out: Array<string | number> = []
  for (const m of path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) out.push(m[1] !== undefined ? Number(m[1]) : (m[2] as string))
  return out
}

/** Line of the deepest node on `segments` that exists (a missing key points at its parent). */
function lineOf(doc: Document, lineCounter: LineCounter, segments: Array<string | number>): number | null {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true)
    if (isNode(node) && node.range != null) return lineCounter.linePos(node.range[0]).line
  }
  return null
}
