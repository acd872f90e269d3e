// Runs the config validator that scripts/gen-config-validator.ts generates from schema.ts with Ajv
// (all errors, defaults applied in place) and turns its errors into messages that name the fix:
// did-you-mean for keys and enum values, units for durations and sizes, the expected shape for type
// errors. Generated ahead of time, not compiled here: compiling took ~125 ms of every start (issue 7).
import type { ErrorObject } from 'ajv'
import { validate as generatedValidate } from './generated/config-validator.ts'
import { configJsonSchema } from './json-schema.ts'
import { HOST_PATTERN, ROUTE_NAME_PATTERN, TOKEN_PATTERN } from './patterns.ts'
import type { RawConfig } from './schema.ts'
import { describeValue, listChoices, suggest } from './problems.ts'
import type { PathSegment, PendingProblem } from './problems.ts'
import { DURATION_PATTERN, SIZE_PATTERN } from './units.ts'

type JsonSchema = Record<string, unknown>

/** What Ajv's standalone code exports: a validate function that leaves its errors on itself. */
interface GeneratedValidator {
  (data: unknown): boolean
  errors?: ErrorObject[] | null
}

const validateConfig: GeneratedValidator = generatedValidate

/** Validates `value` in place (filling defaults); returns the problems, none meaning `value` is a RawConfig. */
export function validateRaw(value: unknown): { config: RawConfig; problems: PendingProblem[] } {
  validateConfig(value)
  return { config: value as RawConfig, problems: translate(validateConfig.errors ?? [], value) }
}

const INTEGER = /^[-+]?\d+$/
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/
const BOOLEANS: Record<string, boolean> = { true: true, false: false }

/**
 * `${VAR}` results are strings; where the schema wants a number or boolean (`port: ${PORT}`),
 * convert them, unless a string form of that key accepts the text as it is.
 */
export function coerceInterpolated(root: unknown, paths: readonly (readonly PathSegment[])[]): void {
  for (const path of paths) {
    const key = path.at(-1)
    if (key === undefined) continue
    let parent: unknown = root
    for (const seg of path.slice(0, -1)) parent = (parent as Record<PathSegment, unknown>)[seg]
    const holder = parent as Record<PathSegment, unknown>
    const text = holder[key]
    const schema = schemaAt(configJsonSchema as JsonSchema, path)
    if (typeof text !== 'string' || schema === null) continue
    const branches = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [schema]
    if (branches.some((b) => acceptsString(b, text))) continue
    const wants = (t: string) => branches.some((b) => b.type === t)
    if (wants('integer') && INTEGER.test(text) && Number.isSafeInteger(Number(text))) holder[key] = Number(text)
    else if (wants('number') && NUMBER.test(text)) holder[key] = Number(text)
    else if (wants('boolean') && BOOLEANS[text] !== undefined) holder[key] = BOOLEANS[text]
  }
}

function acceptsString(s: JsonSchema, text: string): boolean {
  if (s.type !== 'string') return false
  if (s.const !== undefined) return s.const === text
  if (Array.isArray(s.enum)) return s.enum.includes(text)
  return typeof s.pattern !== 'string' || new RegExp(s.pattern).test(text)
}

/** The subschema describing the value at `path`, following properties, items and union branches. */
function schemaAt(schema: JsonSchema, path: readonly PathSegment[]): JsonSchema | null {
  let s: JsonSchema | null = schema
  for (const seg of path) {
    if (s === null) return null
    const options: JsonSchema[] = Array.isArray(s.anyOf) ? (s.anyOf as JsonSchema[]) : [s]
    s = null
    for (const o of options) {
      const next = typeof seg === 'number' ? o.items : (o.properties as JsonSchema | undefined)?.[seg]
      if (next !== undefined) {
        s = next as JsonSchema
        break
      }
    }
  }
  return s
}

function translate(errors: readonly ErrorObject[], root: unknown): PendingProblem[] {
  // Errors under an anyOf are only meaningful for the branch the value was trying to be.
  const unions = errors.filter((e) => e.keyword === 'anyOf')
  const underUnion = (e: ErrorObject) => unions.some((u) => e !== u && e.schemaPath.startsWith(`${u.schemaPath}/`))
  const out: PendingProblem[] = []
  for (const e of errors) {
    if (e.keyword === 'anyOf') out.push(...unionProblems(e, errors, root))
    else if (!underUnion(e)) out.push(problemFor(e, root))
  }
  return out
}

function unionProblems(u: ErrorObject, errors: readonly ErrorObject[], root: unknown): PendingProblem[] {
  const branches = ((u.parentSchema as JsonSchema).anyOf ?? []) as JsonSchema[]
  const fitting = branches.findIndex((b) => fitsType(b, u.data))
  const path = toPath(u.instancePath, root)
  const consts = branches.every((b) => b.const !== undefined) ? branches.map((b) => b.const) : null
  const near = consts !== null && typeof u.data === 'string' ? suggest(u.data, consts.map(String)) : null
  const expected = consts === null ? branches.map(describeSchema).join(' or ') : `one of ${listChoices(consts)}`
  const whole: PendingProblem = { path, message: `expected ${expected}, got ${describeValue(u.data)}${near === null ? '' : ` — did you mean "${near}"?`}` }
  if (fitting === -1) return [whole]
  // schemaPath alone is shared by every route's union, so the instance path must match too.
  const inBranch = errors.filter(
    (e) => e.schemaPath.startsWith(`${u.schemaPath}/${fitting}/`) && (e.instancePath === u.instancePath || e.instancePath.startsWith(`${u.instancePath}/`)),
  )
  // A type or const miss on the value itself says nothing the union message does not say better.
  if (inBranch.length === 0 || inBranch.some((e) => e.instancePath === u.instancePath && (e.keyword === 'const' || e.keyword === 'type'))) return [whole]
  return inBranch.map((e) => problemFor(e, root))
}

function problemFor(e: ErrorObject, root: unknown): PendingProblem {
  const path = toPath(e.instancePath, root)
  const parent = (e.parentSchema ?? {}) as JsonSchema
  const got = describeValue(e.data)
  const params = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty)
      const allowed = Object.keys((parent.properties ?? {}) as JsonSchema)
      const near = suggest(key, allowed)
      const hint = near === null ? ` (allowed: ${allowed.join(', ')})` : ` — did you mean "${near}"?`
      return { path, key, message: `unknown key "${key}"${hint}` }
    }
    case 'required':
      return { path, message: `missing required key "${String(params.missingProperty)}"` }
    case 'type':
      return { path, message: `expected ${describeSchema(parent)}, got ${got}` }
    case 'enum': {
      const values = (parent.enum ?? []) as string[]
      const near = typeof e.data === 'string' ? suggest(e.data, values) : null
      return { path, message: `expected one of ${listChoices(values)}, got ${got}${near === null ? '' : ` — did you mean "${near}"?`}` }
    }
    case 'const':
      return { path, message: `expected ${JSON.stringify(parent.const)}, got ${got}` }
    case 'pattern':
      return { path, message: `expected ${describeSchema(parent)}, got ${got}` }
    case 'minimum':
    case 'maximum':
      return { path, message: `expected ${describeRange(parent)}, got ${got}` }
    case 'minLength':
      return { path, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` }
    case 'maxLength':
      return { path, message: `must be at most ${String(params.limit)} characters, got ${String((e.data as string).length)}` }
    case 'minItems':
      return { path, message: `expected at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}; omit the key instead of an empty list` }
    default:
      return { path, message: e.message ?? `failed ${e.keyword}` }
  }
}

const PATTERN_WORDS: Record<string, string> = {
  [DURATION_PATTERN]: 'a duration like "30s" (units ms, s, m, h, d)',
  [SIZE_PATTERN]: 'a size like "512kib" or "1mib" (b, kb, kib, mb, mib, gb, gib)',
  [TOKEN_PATTERN]: 'an HTTP token (letters, digits and !#$%&\'*+.^_`|~-)',
  [ROUTE_NAME_PATTERN]: 'a name of letters, digits, "_", "." and "-" that starts with a letter or digit',
  [HOST_PATTERN]: 'a host name without port, like "api.example.com"',
}

/** Words for what a schema accepts, used in "expected …". */
function describeSchema(s: JsonSchema): string {
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map(describeSchema).join(' or ')
  if (s.const !== undefined) return JSON.stringify(s.const)
  if (Array.isArray(s.enum)) return `one of ${listChoices(s.enum)}`
  switch (s.type) {
    case 'string':
      return typeof s.pattern === 'string' ? (PATTERN_WORDS[s.pattern] ?? `a string matching ${s.pattern}`) : 'a string'
    case 'integer':
      return s.minimum !== undefined || s.maximum !== undefined ? describeRange(s) : 'an integer'
    case 'number':
      return 'a number'
    case 'boolean':
      return 'true or false'
    case 'object':
      return 'a mapping (key: value)'
    case 'array': {
      const items = (s.items ?? {}) as JsonSchema
      const what = items.type === 'string' ? 'strings' : items.type === 'object' ? 'mappings' : 'values'
      return `a list of ${what}`
    }
    default:
      return 'a value'
  }
}

function describeRange(s: JsonSchema): string {
  const lo = s.minimum as number | undefined
  const hi = s.maximum as number | undefined
  if (lo === 0 && hi === 65535) return 'a port between 0 and 65535'
  if (lo !== undefined && hi !== undefined) return `an integer between ${lo} and ${hi}`
  if (lo !== undefined) return `an integer of at least ${lo}`
  return `an integer of at most ${String(hi)}`
}

function fitsType(s: JsonSchema, v: unknown): boolean {
  switch (s.type) {
    case 'string':
      return typeof v === 'string'
    case 'integer':
    case 'number':
      return typeof v === 'number'
    case 'boolean':
      return typeof v === 'boolean'
    case 'array':
      return Array.isArray(v)
    case 'object':
      return v !== null && typeof v === 'object' && !Array.isArray(v)
    default:
      return false
  }
}

/** JSON Pointer `/routes/1/match` → `['routes', 1, 'match']`, numbers only where the data is a list. */
function toPath(pointer: string, root: unknown): PathSegment[] {
  if (pointer === '') return []
  const path: PathSegment[] = []
  let node: unknown = root
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) {
      path.push(Number(seg))
      node = node[Number(seg)]
    } else {
      path.push(seg)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[seg] : undefined
    }
  }
  return path
}
