// Strict JSON reader for bound bodies (bind_args: exact, issue 16 §2): reads a body only when every
// reasonable parser reads it the same way, so the upstream sees exactly the arguments that were hashed.
// The bytes are validated and decoded in one native call (isUtf8 is simdutf: overlongs, CESU-8
// surrogates, truncated sequences and > U+10FFFF all fail it), then read in one charCode pass with no
// regex. Refuses, with a JSON Pointer to the place: invalid UTF-8, lone surrogate escapes, duplicate
// keys after unescaping, numbers whose text is not the hashed double, excessive nesting, and a top
// level that is not an object. Pure, no I/O.
import { isUtf8 } from 'node:buffer'
import { MAX_ECHO, scanNumber } from './json-number.ts'
import type { NumberSink } from './json-number.ts'

export type StrictJsonCode = 'body_not_json' | 'body_not_utf8' | 'body_duplicate_key' | 'body_number_inexact' | 'body_not_object'

export type StrictJsonResult =
  | { ok: true; value: Record<string, unknown>; hasUpperKey: boolean; hasNonAsciiKey: boolean }
  | { ok: false; code: StrictJsonCode; detail: string }

/**
 * Tool-call arguments are shallow (the SDK's examples nest 2–3 levels); 64 leaves ample room while
 * keeping the canonicaliser's recursion, which runs next, far from the stack limit.
 */
export const MAX_JSON_DEPTH = 64

/** Returned by a read that failed; the failure is described on the reader. */
const FAIL: unique symbol = Symbol('strict-json.fail')
type Read = unknown

class Reader implements NumberSink {
  readonly text: string
  readonly len: number
  pos = 0
  depth = 0
  hasUpper = false
  hasNonAscii = false
  code: StrictJsonCode = 'body_not_json'
  reason = ''
  /** Path segments of the failure, innermost first (pushed while unwinding). */
  readonly path: string[] = []
  numberValue = 0
  numberProblem: string | null = null
  numberInexact = false

  constructor(text: string) {
    this.text = text
    this.len = text.length
  }

  fail(code: StrictJsonCode, reason: string): typeof FAIL {
    this.code = code
    this.reason = reason
    return FAIL
  }
}

/** Read a bound body. An empty body is the caller's business (spec §6: absent arguments hash as {}). */
export function readStrictJson(body: Buffer): StrictJsonResult {
  // Validated first, so the decode below is lossless (Buffer#toString would put U+FFFD in silently)
  // and keeps a leading BOM as a character, which the grammar then refuses, as JSON.parse does.
  if (!isUtf8(body)) return { ok: false, code: 'body_not_utf8', detail: describeBadUtf8(body) }
  const r = new Reader(body.toString('utf8'))
  const value = readTop(r)
  if (value !== FAIL) return { ok: true, value: value as Record<string, unknown>, hasUpperKey: r.hasUpper, hasNonAsciiKey: r.hasNonAscii }
  return { ok: false, code: r.code, detail: r.reason + pointerSuffix(r.path) }
}

function readTop(r: Reader): Read {
  skipWhitespace(r)
  const first = r.text.charCodeAt(r.pos)
  if (first !== 0x7b /* { */) {
    return startsValue(first)
      ? r.fail('body_not_object', 'the arguments must be a JSON object, not ' + describeValueStart(first))
      : r.fail('body_not_json', syntaxAt(r, 'expected "{"'))
  }
  const value = readObject(r)
  if (value === FAIL) return FAIL
  skipWhitespace(r)
  return r.pos === r.len ? value : r.fail('body_not_json', syntaxAt(r, 'unexpected data after the object'))
}

function readValue(r: Reader): Read {
  skipWhitespace(r)
  if (r.pos >= r.len) return r.fail('body_not_json', syntaxAt(r, 'unexpected end of the body'))
  const c = r.text.charCodeAt(r.pos)
  if (c === 0x22 /* " */) return readString(r)
  if (c === 0x7b) return readObject(r)
  if (c === 0x5b /* [ */) return readArray(r)
  if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) return readNumber(r)
  if (c === 0x74 /* t */) return readLiteral(r, 'true', true)
  if (c === 0x66 /* f */) return readLiteral(r, 'false', false)
  if (c === 0x6e /* n */) return readLiteral(r, 'null', null)
  return r.fail('body_not_json', syntaxAt(r, 'expected a value'))
}

function readObject(r: Reader): Read {
  if (++r.depth > MAX_JSON_DEPTH) return r.fail('body_not_json', `nested deeper than ${MAX_JSON_DEPTH} levels`)
  r.pos++
  const object: Record<string, unknown> = {}
  skipWhitespace(r)
  if (r.text.charCodeAt(r.pos) === 0x7d /* } */) {
    r.pos++
    r.depth--
    return object
  }
  for (;;) {
    skipWhitespace(r)
    if (r.text.charCodeAt(r.pos) !== 0x22) return r.fail('body_not_json', syntaxAt(r, 'expected a string key'))
    const key = readString(r)
    if (key === FAIL) return FAIL
    const name = key as string
    // Compared after unescaping: "a" and "\u0061" are the same key to every parser.
    if (Object.hasOwn(object, name)) {
      r.path.push(name)
      return r.fail('body_duplicate_key', 'duplicate key (first-wins and last-wins parsers would read different arguments)')
    }
    if (!r.hasUpper || !r.hasNonAscii) flagKey(r, name)
    skipWhitespace(r)
    if (r.text.charCodeAt(r.pos) !== 0x3a /* : */) return r.fail('body_not_json', syntaxAt(r, 'expected ":"'))
    r.pos++
    const value = readValue(r)
    if (value === FAIL) {
      r.path.push(name)
      return FAIL
    }
    // A JSON "__proto__" key is data, never this object's prototype.
    if (name === '__proto__') Object.defineProperty(object, name, { value, enumerable: true, writable: true, configurable: true })
    else object[name] = value
    skipWhitespace(r)
    const c = r.text.charCodeAt(r.pos)
    r.pos++
    if (c === 0x2c /* , */) continue
    if (c === 0x7d) break
    r.pos--
    return r.fail('body_not_json', syntaxAt(r, 'expected "," or "}"'))
  }
  r.depth--
  return object
}

function readArray(r: Reader): Read {
  if (++r.depth > MAX_JSON_DEPTH) return r.fail('body_not_json', `nested deeper than ${MAX_JSON_DEPTH} levels`)
  r.pos++
  const items: unknown[] = []
  skipWhitespace(r)
  if (r.text.charCodeAt(r.pos) === 0x5d /* ] */) {
    r.pos++
    r.depth--
    return items
  }
  for (;;) {
    const item = readValue(r)
    if (item === FAIL) {
      r.path.push(String(items.length))
      return FAIL
    }
    items.push(item)
    skipWhitespace(r)
    const c = r.text.charCodeAt(r.pos)
    r.pos++
    if (c === 0x2c) continue
    if (c === 0x5d) break
    r.pos--
    return r.fail('body_not_json', syntaxAt(r, 'expected "," or "]"'))
  }
  r.depth--
  return items
}

/** At the opening quote. A run without escapes is one slice of the decoded text. */
function readString(r: Reader): Read {
  const text = r.text
  const len = r.len
  let pos = r.pos + 1
  let segment = pos
  let out = ''
  for (;;) {
    if (pos >= len) {
      r.pos = pos
      return r.fail('body_not_json', syntaxAt(r, 'unterminated string'))
    }
    const c = text.charCodeAt(pos)
    if (c === 0x22) break
    if (c === 0x5c /* \ */) {
      out += text.slice(segment, pos)
      r.pos = pos
      const unescaped = readEscape(r)
      if (unescaped === FAIL) return FAIL
      out += unescaped as string
      pos = r.pos
      segment = pos
      continue
    }
    if (c < 0x20) {
      r.pos = pos
      return r.fail('body_not_json', syntaxAt(r, 'control character in a string (escape it)'))
    }
    pos++
  }
  r.pos = pos + 1
  return out + text.slice(segment, pos)
}

/** At the backslash; leaves r.pos after the escape. */
function readEscape(r: Reader): Read {
  const text = r.text
  const e = text.charCodeAt(r.pos + 1)
  r.pos += 2
  switch (e) {
    case 0x22: return '"'
    case 0x5c: return '\\'
    case 0x2f: return '/'
    case 0x62: return '\b'
    case 0x66: return '\f'
    case 0x6e: return '\n'
    case 0x72: return '\r'
    case 0x74: return '\t'
    case 0x75: break
    default:
      r.pos -= 2
      return r.fail('body_not_json', syntaxAt(r, 'invalid escape'))
  }
  const unit = readHex4(text, r.pos)
  if (unit < 0) return r.fail('body_not_json', syntaxAt(r, 'a \\u escape needs four hex digits'))
  r.pos += 4
  if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit)
  // A lone surrogate is no Unicode scalar value: it has no UTF-8 form, so the ledger, the hash and
  // the upstream cannot all hold the same text (decoders replace it, or refuse, or keep it).
  if (unit <= 0xdbff && text.charCodeAt(r.pos) === 0x5c && text.charCodeAt(r.pos + 1) === 0x75) {
    const low = readHex4(text, r.pos + 2)
    if (low >= 0xdc00 && low <= 0xdfff) {
      r.pos += 6
      return String.fromCharCode(unit, low)
    }
  }
  return r.fail('body_not_utf8', `lone surrogate \\u${unit.toString(16)} at character ${r.pos - 6}: not a Unicode scalar value`)
}

function readHex4(text: string, pos: number): number {
  let unit = 0
  for (let i = pos; i < pos + 4; i++) {
    const c = text.charCodeAt(i)
    let d: number
    if (c >= 0x30 && c <= 0x39) d = c - 0x30
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37
    else return -1
    unit = (unit << 4) | d
  }
  return unit
}

/** At "-" or a digit: grammar and exactness live in json-number.ts. */
function readNumber(r: Reader): Read {
  const end = scanNumber(r.text, r.pos, r.len, r)
  if (r.numberProblem === null) {
    r.pos = end
    return r.numberValue
  }
  if (r.numberInexact) return r.fail('body_number_inexact', r.numberProblem)
  r.pos = end
  return r.fail('body_not_json', syntaxAt(r, r.numberProblem))
}

function readLiteral(r: Reader, literal: string, value: boolean | null): Read {
  if (!r.text.startsWith(literal, r.pos)) return r.fail('body_not_json', syntaxAt(r, 'expected a value'))
  r.pos += literal.length
  return value
}

/** JSON whitespace is exactly space, tab, LF and CR (RFC 8259 §2); a BOM or NBSP is not. */
function skipWhitespace(r: Reader): void {
  const text = r.text
  let pos = r.pos
  while (pos < r.len) {
    const c = text.charCodeAt(pos)
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break
    pos++
  }
  r.pos = pos
}

/** Note an ASCII capital (the SDK rewrite applies) and a non-ASCII character (case folding may). */
function flagKey(r: Reader, key: string): void {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c >= 65 && c <= 90) r.hasUpper = true
    else if (c > 0x7f) r.hasNonAscii = true
  }
}

function startsValue(c: number): boolean {
  return c === 0x5b || c === 0x22 || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e
}

function describeValueStart(c: number): string {
  if (c === 0x5b) return 'an array'
  if (c === 0x22) return 'a string'
  if (c === 0x74 || c === 0x66) return 'a boolean'
  if (c === 0x6e) return 'null'
  return 'a number'
}

function syntaxAt(r: Reader, what: string): string {
  return `invalid JSON at character ${r.pos}: ${what}`
}

/**
 * Failure path only: where the first ill-formed sequence starts (Unicode 15 Table 3-7), and the JSON
 * Pointer of the place, found by reading the well-formed prefix, which stops right there.
 */
function describeBadUtf8(body: Buffer): string {
  let pos = 0
  while (pos < body.length) {
    const b = body[pos]!
    if (b < 0x80) pos++
    else {
      const n = utf8SequenceLength(body, pos)
      if (n === 0) break
      pos += n
    }
  }
  const prefix = new Reader(body.toString('utf8', 0, pos))
  readTop(prefix)
  const where = prefix.pos >= prefix.len - 1 ? pointerSuffix(prefix.path) : ''
  return `invalid UTF-8 at byte ${pos} (0x${(body[pos] ?? 0).toString(16)}): lone continuation byte, overlong form, encoded surrogate (CESU-8), truncated sequence or code point above U+10FFFF${where}`
}

/** Length of the well-formed UTF-8 sequence at pos, 0 when ill-formed: the second-byte ranges exclude overlongs (E0, F0), surrogates (ED) and > U+10FFFF (F4). */
function utf8SequenceLength(buf: Buffer, pos: number): number {
  const b0 = buf[pos]!
  const len = buf.length
  if (b0 < 0xc2) return 0
  if (b0 < 0xe0) return pos + 1 < len && isContinuation(buf[pos + 1]!) ? 2 : 0
  const need = b0 < 0xf0 ? 3 : 4
  if (b0 >= 0xf5 || pos + need > len) return 0
  const b1 = buf[pos + 1]!
  const lo = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80
  const hi = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf
  if (b1 < lo || b1 > hi || !isContinuation(buf[pos + 2]!)) return 0
  return need === 3 || isContinuation(buf[pos + 3]!) ? need : 0
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80
}

/**
 * " (at /a/0/b)" (RFC 6901 JSON Pointer) or "" at the top level. Keys are the client's own, echoed to
 * that client only (details are not logged); each is clipped and escaped so the detail stays short
 * and printable.
 */
export function pointerSuffix(innermostFirst: readonly string[]): string {
  if (innermostFirst.length === 0) return ''
  let pointer = ''
  for (let i = innermostFirst.length - 1; i >= 0; i--) pointer += '/' + pointerSegment(innermostFirst[i]!)
  return ' (at ' + pointer + ')'
}

function pointerSegment(key: string): string {
  let out = ''
  const end = Math.min(key.length, MAX_ECHO)
  for (let i = 0; i < end; i++) {
    const c = key.charCodeAt(i)
    if (c === 0x7e) out += '~0'
    else if (c === 0x2f) out += '~1'
    else if (c < 0x20 || c > 0x7e) out += '\\u' + c.toString(16).padStart(4, '0')
    else out += key[i]
  }
  return key.length > end ? out + '…' : out
}
