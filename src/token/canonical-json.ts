// Canonical JSON and tool_args_hash (spec §6): the SDK's canonicaliser, equal to RFC 8785 (JCS) on
// parsed JSON. Keys sorted by UTF-16 code units (the default Array sort), no whitespace, strings and
// numbers exactly as JSON.stringify writes them (ECMAScript shortest form; -0 → 0). Pure, no I/O.
import { hash } from 'node:crypto'

/**
 * Canonical JSON text of a JSON value. Follows JSON.stringify for `undefined` (object members are
 * dropped, array items become null). Throws TypeError on values JSON cannot carry (non-finite
 * numbers, bigint, functions, symbols): those are caller bugs, parsed JSON never holds them.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      // RFC 8785 §3.2.2.3: NaN and Infinity have no JSON form.
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number')
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>)
    case 'undefined':
      return 'null'
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`)
  }
}

function canonicalArray(items: readonly unknown[]): string {
  let out = '['
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ','
    out += canonicalJson(items[i])
  }
  return out + ']'
}

function canonicalObject(object: Record<string, unknown>): string {
  const keys = Object.keys(object).sort()
  let out = '{'
  let first = true
  for (const key of keys) {
    const member = object[key]
    if (member === undefined) continue
    if (!first) out += ','
    first = false
    out += JSON.stringify(key) + ':' + canonicalJson(member)
  }
  return out + '}'
}

/** Lowercase hex SHA-256 of the UTF-8 canonical JSON of a JSON value. */
export function canonicalHash(value: unknown): string {
  return hash('sha256', canonicalJson(value), 'hex')
}

/** 'sha256:' + canonicalHash of the tool args; absent args hash as `{}`. */
export function toolArgsHash(args: unknown): string {
  return 'sha256:' + canonicalHash(args ?? {})
}
