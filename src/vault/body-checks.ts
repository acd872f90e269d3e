// Hand-written checks of the two hot request bodies for the fast path (fast-path.ts): the rules of
// consumeBody and clearanceBody in routes/schemas.ts, answering with the detail the fastify route
// derives from Ajv's first error, so a bad body reads the same on either path
// (test/vault/vault-fast-path.test.ts sends each case to both and compares the answers).

import { HEADER_TEXT_PATTERN, IDENTIFIER_MAX_LENGTH, IDENTIFIER_PATTERN, OPTIONAL_IDENTIFIER_PATTERN, isHeaderText, isIdentifier } from '../core/index.ts'

/** Ajv's string length: code points, not UTF-16 units (a surrogate pair counts once). */
function codePointLength(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    n++
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
  }
  return n
}

/** JSON Schema `type: 'object'` as Ajv tests it. */
function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A string property with optional bounds; null when valid. Code points are only counted past maxLength units. */
function stringProblem(name: string, v: unknown, minLength: number, maxLength: number): string | null {
  if (typeof v !== 'string') return `body.${name}: must be string`
  if (v.length > maxLength && codePointLength(v) > maxLength) return `body.${name}: must NOT have more than ${maxLength} characters`
  if (v.length < minLength) return `body.${name}: must NOT have fewer than ${minLength} characters`
  return null
}

/** schemas.ts `identifier`: maxLength, minLength, then pattern, as Ajv runs them. */
function identifierProblem(name: string, v: unknown): string | null {
  const p = stringProblem(name, v, 1, IDENTIFIER_MAX_LENGTH)
  if (p !== null) return p
  return isIdentifier(v as string) ? null : `body.${name}: must match pattern "${IDENTIFIER_PATTERN}"`
}

/** schemas.ts `headerText` (session ids). */
function headerTextProblem(name: string, v: unknown): string | null {
  const p = stringProblem(name, v, 0, IDENTIFIER_MAX_LENGTH)
  if (p !== null) return p
  return isHeaderText(v as string) ? null : `body.${name}: must match pattern "${HEADER_TEXT_PATTERN}"`
}

/** The policy hint: an identifier or "". */
function optionalIdentifierProblem(name: string, v: unknown): string | null {
  const p = stringProblem(name, v, 0, IDENTIFIER_MAX_LENGTH)
  if (p !== null) return p
  return v === '' || isIdentifier(v as string) ? null : `body.${name}: must match pattern "${OPTIONAL_IDENTIFIER_PATTERN}"`
}

const NOT_OBJECT = 'body: must be object'
/** The consume schema has no maxLength on token. */
const UNBOUNDED = Number.MAX_SAFE_INTEGER

/** consumeBody: `{ token: string (minLength 1) }`, other fields ignored. */
export function consumeBodyProblem(body: unknown): string | null {
  if (!isObject(body)) return NOT_OBJECT
  const token = body.token
  if (token === undefined) return "body.token: must have required property 'token'"
  return stringProblem('token', token, 1, UNBOUNDED)
}

/** clearanceBody, keyword order as Ajv runs it: type, required, then each property in schema order. */
export function clearanceBodyProblem(body: unknown): string | null {
  if (!isObject(body)) return NOT_OBJECT
  const toolName = body.tool_name
  if (toolName === undefined) return "body.tool_name: must have required property 'tool_name'"
  const nameProblem = identifierProblem('tool_name', toolName)
  if (nameProblem !== null) return nameProblem
  if (body.tool_args !== undefined && !isObject(body.tool_args)) return 'body.tool_args: must be object'
  if (body.agent_id !== undefined) {
    const p = identifierProblem('agent_id', body.agent_id)
    if (p !== null) return p
  }
  if (body.session_id !== undefined) {
    const p = headerTextProblem('session_id', body.session_id)
    if (p !== null) return p
  }
  const context = body.context
  if (context !== undefined) {
    if (!isObject(context)) return 'body.context: must be object'
    if (context.policy_id !== undefined) return optionalIdentifierProblem('context.policy_id', context.policy_id)
  }
  return null
}
