// Policy registration → immutable CompiledPolicy: validate every field (collecting all problems, each
// naming its path), compile each CEL `when` once, normalise, and hash the normalised form.
import { IDENTIFIER_HINT, isIdentifier } from '../../core/index.ts'
import { compileWhen } from './cel.ts'
import { beginPolicyRegexes } from './cel-bounds.ts'
import { canonicalHash } from './hashing.ts'
import type {
  CompileResult,
  CompiledPolicy,
  CompiledRule,
  Effect,
  NaturalLanguageRule,
  NormalizedRegistration,
  NormalizedStructuredRule,
  PolicyProblem,
  StructuredRule,
} from './types.ts'

/** A policy with more rules than this is better split; the bound also caps evaluation cost. */
export const MAX_RULES = 256
/** Natural-language rules go into a judge prompt; keep each one a sentence or a paragraph. */
export const MAX_RULE_TEXT_LENGTH = 4000
export const MAX_TOOLS = 1000
const MAX_TOOL_NAME_LENGTH = 256
const MAX_DESCRIPTION_LENGTH = 4000

// Ids appear in reasons and ledger rows as `<policy_id>/<rule_id>`, so neither may contain '/':
// the one identifier rule (src/core/identifier.ts) guarantees it.
const ID_HINT = IDENTIFIER_HINT
const EFFECTS: readonly Effect[] = ['allow', 'deny', 'review']
const REGISTRATION_KEYS = ['policy_id', 'description', 'rules', 'tools'] as const
const RULE_KEYS = ['id', 'description', 'when', 'effect', 'reason'] as const
const NL_ID_PREFIX = 'nl-'

type Obj = Record<string, unknown>

function isPlainObject(value: unknown): value is Obj {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`
}

/** Compile one registration `{policy_id, description, rules, tools}` (snake_case, as on the wire). */
export function compilePolicy(raw: unknown, options: { versionId?: string | null } = {}): CompileResult {
  const errors: PolicyProblem[] = []
  // The policy's regexes count together against MAX_REGEX_PROGRAM_SIZE_PER_POLICY (compiling is synchronous).
  beginPolicyRegexes()
  if (!isPlainObject(raw)) {
    return { ok: false, errors: [{ path: '', message: `expected a policy object, got ${describe(raw)}` }] }
  }
  checkUnknownKeys(raw, REGISTRATION_KEYS, '', errors)

  const policyId = raw.policy_id
  if (typeof policyId !== 'string' || !isIdentifier(policyId)) {
    errors.push({ path: 'policy_id', message: `expected an id (${ID_HINT}), got ${describe(policyId)}` })
  }
  const description = optionalString(raw.description, 'description', MAX_DESCRIPTION_LENGTH, errors)
  const tools = normalizeTools(raw.tools, errors)
  const rules = compileRules(raw.rules, errors)
  if (errors.length > 0 || typeof policyId !== 'string') return { ok: false, errors }

  const normalized: NormalizedRegistration = {
    policy_id: policyId,
    description,
    rules: rules.map(normalizeRule),
    tools,
  }
  const contentHash = 'sha256:' + canonicalHash(normalized)
  const policy: CompiledPolicy = {
    policyId,
    description,
    tools: tools.length === 0 ? null : new Set(tools),
    rules: Object.freeze(rules),
    structuredRules: Object.freeze(rules.filter((r): r is StructuredRule => r.kind === 'structured')),
    naturalLanguageRules: Object.freeze(rules.filter((r): r is NaturalLanguageRule => r.kind === 'natural_language')),
    contentHash,
    versionId: options.versionId ?? null,
    normalized: deepFreeze(normalized),
  }
  return { ok: true, policy: Object.freeze(policy) }
}

/** The same compiled policy with the version id the store assigned (compiled programs are shared). */
export function withVersionId(policy: CompiledPolicy, versionId: string): CompiledPolicy {
  return Object.freeze({ ...policy, versionId })
}

function normalizeRule(rule: CompiledRule): string | NormalizedStructuredRule {
  if (rule.kind === 'natural_language') return rule.text
  return { id: rule.id, description: rule.description, when: rule.when, effect: rule.effect, reason: rule.reason }
}

function normalizeTools(raw: unknown, errors: PolicyProblem[]): string[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) {
    errors.push({ path: 'tools', message: `expected a list of tool names (or omit it for every tool), got ${describe(raw)}` })
    return []
  }
  if (raw.length > MAX_TOOLS) {
    errors.push({ path: 'tools', message: `${raw.length} tools; the limit is ${MAX_TOOLS}` })
    return []
  }
  const seen = new Set<string>()
  raw.forEach((tool: unknown, i) => {
    if (typeof tool !== 'string' || tool.trim() === '' || tool.length > MAX_TOOL_NAME_LENGTH) {
      errors.push({ path: `tools[${i}]`, message: `expected a non-empty tool name, got ${describe(tool)}` })
    } else {
      seen.add(tool)
    }
  })
  // A set: order and repeats carry no meaning, so they must not change the content hash.
  return [...seen].sort()
}

function compileRules(raw: unknown, errors: PolicyProblem[]): CompiledRule[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) {
    errors.push({ path: 'rules', message: `expected a list of rules, got ${describe(raw)}` })
    return []
  }
  if (raw.length > MAX_RULES) {
    errors.push({ path: 'rules', message: `${raw.length} rules; the limit is ${MAX_RULES}, split the policy` })
    return []
  }
  const out: CompiledRule[] = []
  const idOwner = new Map<string, number>()
  raw.forEach((entry: unknown, i) => {
    const path = `rules[${i}]`
    if (typeof entry === 'string') {
      const text = entry.trim()
      if (text === '' || text.length > MAX_RULE_TEXT_LENGTH) {
        errors.push({ path, message: `a natural-language rule must be 1..${MAX_RULE_TEXT_LENGTH} characters` })
        return
      }
      claimId(NL_ID_PREFIX + i, i, idOwner, path, errors)
      out.push(Object.freeze({ kind: 'natural_language', id: NL_ID_PREFIX + i, text }))
      return
    }
    if (!isPlainObject(entry)) {
      errors.push({ path, message: `expected a natural-language string or {id, when, effect, reason}, got ${describe(entry)}` })
      return
    }
    const rule = compileStructuredRule(entry, path, errors)
    if (rule !== null && claimId(rule.id, i, idOwner, `${path}.id`, errors)) out.push(rule)
  })
  return out
}

function claimId(id: string, index: number, owners: Map<string, number>, path: string, errors: PolicyProblem[]): boolean {
  const owner = owners.get(id)
  if (owner !== undefined) {
    const nl = id.startsWith(NL_ID_PREFIX) ? ' (natural-language rules take the ids nl-<index>)' : ''
    errors.push({ path, message: `duplicate rule id "${id}", already used by rules[${owner}]${nl}` })
    return false
  }
  owners.set(id, index)
  return true
}

function compileStructuredRule(entry: Obj, path: string, errors: PolicyProblem[]): StructuredRule | null {
  const before = errors.length
  checkUnknownKeys(entry, RULE_KEYS, path, errors)
  const id = entry.id
  if (typeof id !== 'string' || !isIdentifier(id)) {
    errors.push({ path: `${path}.id`, message: `expected a rule id (${ID_HINT}), got ${describe(id)}` })
  }
  const effect = entry.effect
  if (typeof effect !== 'string' || !(EFFECTS as readonly string[]).includes(effect)) {
    const near = typeof effect === 'string' ? suggest(effect.toLowerCase(), EFFECTS) : null
    errors.push({
      path: `${path}.effect`,
      message: `expected one of allow, deny, review, got ${describe(effect)}${near === null ? '' : ` — did you mean "${near}"?`}`,
    })
  }
  const description = optionalString(entry.description, `${path}.description`, MAX_DESCRIPTION_LENGTH, errors)
  const reason = optionalString(entry.reason, `${path}.reason`, MAX_DESCRIPTION_LENGTH, errors)
  const when = entry.when
  let compiled: ReturnType<typeof compileWhen> | null = null
  if (typeof when !== 'string') {
    errors.push({ path: `${path}.when`, message: `expected a CEL expression string, got ${describe(when)}` })
  } else {
    compiled = compileWhen(when)
    if (!compiled.ok) errors.push({ path: `${path}.when`, message: compiled.message })
  }
  if (errors.length > before || compiled === null || !compiled.ok) return null
  return Object.freeze({
    kind: 'structured',
    id: id as string,
    description,
    when: when as string,
    effect: effect as Effect,
    reason,
    program: compiled.program,
  })
}

function optionalString(value: unknown, path: string, max: number, errors: PolicyProblem[]): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string' || value.length > max) {
    errors.push({ path, message: `expected a string of at most ${max} characters, got ${describe(value)}` })
    return ''
  }
  return value
}

function checkUnknownKeys(obj: Obj, allowed: readonly string[], path: string, errors: PolicyProblem[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue
    const near = suggest(key, allowed)
    errors.push({
      path: path === '' ? key : `${path}.${key}`,
      message: `unknown key "${key}"${near === null ? '' : ` — did you mean "${near}"?`} (allowed: ${allowed.join(', ')})`,
    })
  }
}

/** Closest candidate within edit distance 2 (commander's suggestSimilar idea), or null. */
function suggest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null
  let bestDistance = 3
  for (const c of candidates) {
    const d = editDistance(word, c)
    if (d < bestDistance) {
      best = c
      bestDistance = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost)
    }
    prev = cur
  }
  return prev[b.length] ?? 3
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
