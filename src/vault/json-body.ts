// Every Vault JSON body, on fastify's routes and on the fast path alike: strict UTF-8, fastify's
// poisoning-safe JSON.parse, then the limits that everything downstream needs — canonical JSON and
// tool_args_hash, the ledger's CBOR, SQLite's JSON columns, CEL, the review queue. A body that
// passes here can always be hashed, stored and ledgered (test/security/vault-input.property.test.ts),
// so no record is ever stored that its own decision could not finalise; and it has one reading
// (no duplicate keys: a reviewer, a log and the policy never see different arguments). Each refusal
// is a 400 whose detail names the limit and the JSON path.
import { isUtf8 } from 'node:buffer'
import type { IncomingMessage } from 'node:http'
import type { ErrorCode } from '../core/index.ts'

/**
 * Containers nested deeper than this are refused. Real tool arguments are a handful of levels (the
 * model APIs that produce them cap structured output far lower); 64 keeps every recursive walk
 * downstream (canonical JSON, the SDK's snake_case rewrite, CBOR with its 1000-level guard, CEL)
 * far from the stack limit, and bounds this check's own recursion.
 */
export const MAX_JSON_DEPTH = 64

/**
 * Longest object key, in UTF-16 units. Keys are field names: they are shown in the review queue and
 * error details, and 1 KiB is far beyond any real one. (String values are bounded by max_body only.)
 */
export const MAX_JSON_KEY_LENGTH = 1024

/**
 * Most JSON values (every string, number, literal, array and object counts one) in one body. Every
 * accepted body is canonicalised, hashed, CBOR-encoded, stored and handed to CEL on the event loop,
 * at several µs per value: a 1 MiB body of 500,000 small numbers held every tenant's requests for
 * ~2.5 s. Tool arguments are tens of values and a thousand-rule policy about 6,000, so 10,000 keeps
 * real bodies far inside while bounding one request's work to tens of milliseconds.
 */
export const MAX_JSON_VALUES = 10_000

/** A body's outcome: the parsed value, or the problem every transport answers with. */
export type BodyParse = { ok: true; value: unknown } | { ok: false; code: ErrorCode; detail: string }

/** fastify's default JSON body parser (`app.getDefaultJsonParser`); it calls `done` synchronously. */
export type JsonBodyParser = (request: never, body: string, done: (err: Error | null, value?: unknown) => void) => void

const NOT_UTF8: BodyParse = { ok: false, code: 'invalid_json', detail: 'the body is not valid UTF-8 (RFC 8259 §8.1); send UTF-8 JSON' }
const NOT_JSON: BodyParse = { ok: false, code: 'invalid_json', detail: 'the body is not valid JSON' }

/**
 * Why a JSON body's framing headers give it more than one reading, or null: a Content-Encoding other
 * than identity, or a Transfer-Encoding other than plain chunked (Node's parser de-chunks "gzip,
 * chunked" and hands the gzip bytes on as they are: the Vault decodes no coding, so compressed bytes
 * would be read as text and a "br" label on plain JSON ignored); a charset other than UTF-8 (RFC 8259
 * §8.1: JSON exchanged between systems is UTF-8; reading latin-1 bytes as UTF-8 would decide on text
 * the client did not mean); a repeated Content-Type (Node keeps the first, a proxy may keep the last).
 * Each is a 415 (json-body's callers: server.ts's parser; the fast path hands such requests to it).
 */
export function bodyFramingProblem(req: IncomingMessage): string | null {
  const headers = req.headers
  const coding = headers['content-encoding']
  if (coding !== undefined) {
    const text = coding.trim().toLowerCase()
    if (text !== '' && text !== 'identity') return 'Content-Encoding is not supported; send the JSON body uncompressed (identity)'
  }
  const transfer = headers['transfer-encoding']
  if (transfer !== undefined && transfer.trim().toLowerCase() !== 'chunked') return 'Transfer-Encoding other than chunked is not supported; send the JSON body uncompressed'
  const raw = req.rawHeaders
  let types = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 12 && raw[i]!.toLowerCase() === 'content-type') types++
  if (types > 1) return 'Content-Type is repeated; send it once'
  const contentType = headers['content-type']
  if (contentType === undefined) return null
  const semi = contentType.indexOf(';')
  if (semi < 0) return null
  for (const param of contentType.slice(semi + 1).split(';')) {
    const eq = param.indexOf('=')
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue
    const charset = param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1').toLowerCase()
    if (charset !== 'utf-8' && charset !== 'utf8') return 'charset must be utf-8 (RFC 8259 §8.1); send UTF-8 JSON'
  }
  return null
}

/** Parser outcome slots: the parser calls back synchronously, so no closure per request is needed. */
let parsedError: Error | null = null
let parsedValue: unknown

function onParsed(err: Error | null, value?: unknown): void {
  parsedError = err
  parsedValue = value
}

/**
 * Decode, parse and check one body. Invalid UTF-8 is refused, never replaced by U+FFFD (a decision
 * would otherwise approve text the caller never sent). `parse` is fastify's parser, so __proto__ and
 * constructor keys are refused exactly as fastify refuses them.
 */
export function parseJsonBody(bytes: Buffer, parse: JsonBodyParser): BodyParse {
  if (!isUtf8(bytes)) return NOT_UTF8
  const text = bytes.toString('utf8')
  parse(undefined as never, text, onParsed)
  const failed = parsedError !== null
  const value = parsedValue
  parsedError = null
  parsedValue = undefined
  if (failed) return NOT_JSON
  // Strict UTF-8 text holds no lone surrogate and no U+0000; only a \u escape can make one.
  const problem = jsonValueProblem(value, 'body', text.includes('\\u')) ?? duplicateKeyProblem(text, 'body')
  return problem === null ? { ok: true, value } : { ok: false, code: 'invalid_request', detail: problem }
}

/** An open container met by duplicateKeyProblem: its keys so far (objects) or its item index (arrays). */
interface Frame {
  isObject: boolean
  /** The first key alone (most objects on the hot path are small); a Set from the second key on. */
  first: string | null
  keys: Set<string> | null
  /** Where the scan is inside this container: the current key, or the current index. */
  key: string
  index: number
}

/**
 * "<path>: duplicate key" for the first object (at any depth) that names a key twice, compared after
 * unescaping ("a" and "\u0061" are one key), or null. JSON.parse keeps the last value and other
 * parsers the first, so such a body has two readings: the Vault would decide and ledger one while a
 * reviewer, a log or an upstream sees the other (issue 16 §2 refuses the same at the gateway).
 * `text` has been accepted by JSON.parse, so this one pass only tracks strings and brackets.
 */
export function duplicateKeyProblem(text: string, root: string): string | null {
  const stack: Frame[] = []
  let expectKey = false
  const n = text.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22 /* " */) {
      const start = i + 1
      i = closingQuote(text, start)
      if (!expectKey) continue
      expectKey = false
      const top = stack[stack.length - 1]!
      const raw = text.slice(start, i)
      const key = raw.includes('\\') ? (JSON.parse(text.slice(start - 1, i + 1)) as string) : raw
      if (top.first === null) top.first = key
      else {
        if (top.keys === null) top.keys = new Set([top.first])
        if (top.keys.has(key)) {
          top.key = key
          return `${pathText(root, framePath(stack))}: duplicate key (send each key once: parsers disagree on which value wins)`
        }
        top.keys.add(key)
      }
      top.key = key
    } else if (c === 0x7b /* { */) {
      stack.push({ isObject: true, first: null, keys: null, key: '', index: 0 })
      expectKey = true
    } else if (c === 0x5b /* [ */) {
      stack.push({ isObject: false, first: null, keys: null, key: '', index: 0 })
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop()
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1]!
      if (top.isObject) expectKey = true
      else top.index++
    }
  }
  return null
}

/** Index of the quote that ends the string starting at `from` (a quote after an odd run of backslashes is escaped). */
function closingQuote(text: string, from: number): number {
  let q = text.indexOf('"', from)
  for (;;) {
    let backslashes = 0
    while (text.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++
    if ((backslashes & 1) === 0) return q
    q = text.indexOf('"', q + 1)
  }
}

/** The scan's position as pathText's reversed parts (innermost first). */
function framePath(stack: readonly Frame[]): Array<string | number> {
  const parts: Array<string | number> = []
  for (let d = stack.length - 1; d >= 0; d--) {
    const f = stack[d]!
    parts.push(f.isObject ? f.key : f.index)
  }
  return parts
}

/** One refusal found by the walk: its message and the path from the failing node up (reversed). */
interface Found {
  message: string
  path: Array<string | number>
}

/**
 * Why `value` (parsed JSON) cannot be accepted, as "<path>: <limit>", or null when it can: nesting
 * beyond MAX_JSON_DEPTH, a non-finite number (JSON.parse turns 1e309 into Infinity, which neither
 * canonical JSON nor CBOR can carry), a lone UTF-16 surrogate in a string or key (from a "\ud800"
 * escape: not encodable as UTF-8, so not hashable faithfully), a key longer than
 * MAX_JSON_KEY_LENGTH, or more than MAX_JSON_VALUES values in all. `checkSurrogates` false skips the
 * surrogate scan (no \u escape in the text).
 */
export function jsonValueProblem(value: unknown, root: string, checkSurrogates = true): string | null {
  valuesLeft = MAX_JSON_VALUES
  const found = walk(value, 1, checkSurrogates)
  return found === null ? null : `${pathText(root, found.path)}: ${found.message}`
}

/**
 * U+0000 (only a "\u0000" escape can carry it): PostgreSQL text cannot store it (a 500 there, while
 * SQLite kept it), C-based tools and logs truncate at it, and no name, reason or argument needs it.
 * Refused in every body on either store, so both answer alike.
 */
const NUL_IN_STRING = 'holds U+0000 (NUL), which no Vault field may store'

/** The walk's budget (it is synchronous, so one module slot serves every call). */
let valuesLeft = 0
const TOO_MANY_VALUES = `more than ${MAX_JSON_VALUES} JSON values in the body (send fewer items)`

function walk(value: unknown, depth: number, surrogates: boolean): Found | null {
  if (--valuesLeft < 0) return { message: TOO_MANY_VALUES, path: [] }
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? null : { message: 'number out of range (not a finite IEEE 754 double)', path: [] }
    case 'string':
      if (!surrogates) return null
      if (hasLoneSurrogate(value)) return { message: 'string holds a lone UTF-16 surrogate (not encodable as UTF-8)', path: [] }
      return value.includes('\0') ? { message: `string ${NUL_IN_STRING}`, path: [] } : null
    case 'object':
      break
    default:
      return null
  }
  if (value === null) return null
  if (depth > MAX_JSON_DEPTH) return { message: `nested deeper than ${MAX_JSON_DEPTH} levels`, path: [] }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = walk(value[i], depth + 1, surrogates)
      if (found !== null) {
        found.path.push(i)
        return found
      }
    }
    return null
  }
  const record = value as Record<string, unknown>
  for (const key in record) {
    if (key.length > MAX_JSON_KEY_LENGTH) return { message: `key longer than ${MAX_JSON_KEY_LENGTH} characters`, path: [key] }
    if (surrogates && hasLoneSurrogate(key)) return { message: 'key holds a lone UTF-16 surrogate (not encodable as UTF-8)', path: [key] }
    if (surrogates && key.includes('\0')) return { message: `key ${NUL_IN_STRING}`, path: [key] }
    const found = walk(record[key], depth + 1, surrogates)
    if (found !== null) {
      found.path.push(key)
      return found
    }
  }
  return null
}

/** true when `s` is not well-formed UTF-16 (String.prototype.isWellFormed is ES2024; lib is ES2023). */
export function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c >= 0xdc00) return true
    const next = s.charCodeAt(i + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return true
    i++
  }
  return false
}

/** Keys that read as they are after a dot; anything else is quoted (and shortened: never echo a huge key). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const MAX_PATH_KEY_ECHO = 40

function pathText(root: string, reversed: ReadonlyArray<string | number>): string {
  let out = root
  for (let i = reversed.length - 1; i >= 0; i--) {
    const part = reversed[i]!
    if (typeof part === 'number') out += `[${part}]`
    else if (PLAIN_KEY.test(part)) out += `.${part}`
    else {
      const shown = part.length > MAX_PATH_KEY_ECHO ? `${part.slice(0, MAX_PATH_KEY_ECHO)}…` : part
      // JSON.stringify escapes a lone surrogate as \udXXX, so the detail itself stays valid UTF-8.
      out += `[${JSON.stringify(shown)}]`
    }
  }
  return out
}
