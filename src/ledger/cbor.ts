// Deterministic CBOR exactly as the Ledgix SDK encodes it (spec §7.1; 59 vectors in cbor.json).
// Our own encoder on purpose: the SDK's key order and number rules differ from RFC 8949 §4.2, and
// every byte feeds a hash that clients recompute.

/** Values the encoder accepts. Numbers follow rule 1 (safe integer → int) unless inside Float64Json. */
export type CborValue =
  | null
  | boolean
  | number
  | string
  | Float64Json
  | readonly CborValue[]
  | { readonly [key: string]: CborValue }

/**
 * Marks a JSON subtree (tool_args, citations, evidence_chunks) whose every number is encoded as
 * binary64, integers included (spec §7.1 rule 2: the SDK's normalizeJSONNumbersForCbor).
 */
export class Float64Json {
  readonly json: unknown
  constructor(json: unknown) {
    this.json = json
  }
}

/**
 * JSON nesting bound. The SDK has none and would overflow its stack instead; a fixed bound gives a
 * clear error. Tool arguments nested this deep are not a real call.
 */
export const MAX_CBOR_DEPTH = 1000

const INITIAL_CAPACITY = 512
/** A writer whose buffer one huge value grew past this is dropped rather than kept for the process. */
const MAX_RETAINED_CAPACITY = 64 * 1024
const TWO_POW_32 = 2 ** 32
const utf8 = new TextEncoder()

/**
 * A growable output buffer with the encoder's primitives. encodeCbor uses one shared instance; the
 * event and receipt encoders (event.ts, receipt.ts) keep their own, so a hot path writes constant
 * prefixes and pre-encoded keys once and hashes the bytes in place, with no copy per call.
 */
export class CborWriter {
  buf = new Uint8Array(INITIAL_CAPACITY)
  view = new DataView(this.buf.buffer)
  length = 0

  reserve(extra: number): void {
    const need = this.length + extra
    if (need <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  /** Bytes that are already CBOR (a pre-encoded key, a constant prefix). */
  raw(bytes: Uint8Array): void {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.length)
    this.length += bytes.length
  }

  /** Major type + argument with the shortest header (1, 2, 3, 5 or 9 bytes). 0 ≤ n ≤ 2^53−1. */
  head(major: number, n: number): void {
    const m = major << 5
    this.reserve(9)
    if (n < 24) {
      this.buf[this.length++] = m | n
    } else if (n < 0x100) {
      this.buf[this.length++] = m | 24
      this.buf[this.length++] = n
    } else if (n < 0x10000) {
      this.buf[this.length++] = m | 25
      this.view.setUint16(this.length, n)
      this.length += 2
    } else if (n < TWO_POW_32) {
      this.buf[this.length++] = m | 26
      this.view.setUint32(this.length, n)
      this.length += 4
    } else {
      this.buf[this.length++] = m | 27
      this.view.setUint32(this.length, Math.floor(n / TWO_POW_32))
      this.view.setUint32(this.length + 4, n % TWO_POW_32)
      this.length += 8
    }
  }

  float64(n: number): void {
    this.reserve(9)
    this.buf[this.length++] = 0xfb
    this.view.setFloat64(this.length, n)
    this.length += 8
  }

  text(s: string): void {
    // ASCII (keys, hex digests, ids, timestamps — most of an event) in one pass: the header assumes
    // one byte per code unit and the copy bails out to the general path at the first non-ASCII one.
    const n = s.length
    const start = this.length
    this.reserve(9 + n)
    const buf = this.buf
    let at = start
    if (n < 24) buf[at++] = 0x60 | n
    else if (n < 0x100) {
      buf[at++] = 0x78
      buf[at++] = n
    } else {
      this.head(3, n)
      at = this.length
    }
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) {
        this.length = start
        return this.#textUtf8(s)
      }
      buf[at++] = c
    }
    this.length = at
  }

  #textUtf8(s: string): void {
    // One scan gives the UTF-8 length and refuses lone surrogates.
    const n = utf8Length(s)
    if (n < 0) throw new TypeError('CBOR: a string holds a lone UTF-16 surrogate')
    this.head(3, n)
    this.reserve(n)
    utf8.encodeInto(s, this.buf.subarray(this.length, this.length + n))
    this.length += n
  }

  /**
   * Any encodable value at nesting `depth` (a map's values are at its depth + 1), numbers as binary64
   * when `forceFloat`. Throws as encodeCbor does.
   */
  value(value: unknown, forceFloat: boolean, depth: number): void {
    writeValue(this, value, forceFloat, depth)
  }

  /** Start over (a failed encode leaves the writer dirty, so every use begins here). */
  reset(): void {
    this.length = 0
  }

  /** True when the buffer grew past MAX_RETAINED_CAPACITY: the owner should drop this writer. */
  get oversized(): boolean {
    return this.buf.length > MAX_RETAINED_CAPACITY
  }
}

/**
 * The UTF-8 byte length of `s`, or -1 when it holds a lone surrogate. Lone surrogates are refused
 * where the SDK would encode U+FFFD: otherwise "\uD800" and "\uD801" hash alike, and a verified
 * event would not pin down the text it shows. The Vault rejects such input at the request boundary,
 * so no honest row holds one.
 */
function utf8Length(s: string): number {
  let n = s.length
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      n += 1
      continue
    }
    if (c < 0xd800 || c > 0xdfff) {
      n += 2
      continue
    }
    if (c >= 0xdc00) return -1
    const next = s.charCodeAt(i + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return -1
    // A pair is two code units and four bytes.
    n += 2
    i++
  }
  return n
}

/** The SDK's key order: shorter JS string length (UTF-16 code units) first, then JS `<`. */
export function compareCborKeys(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length
  return a < b ? -1 : a > b ? 1 : 0
}

function writeNumber(w: CborWriter, n: number, forceFloat: boolean): void {
  if (!Number.isFinite(n)) throw new RangeError(`CBOR: ${n} is not encodable (NaN and ±Infinity are errors)`)
  if (forceFloat || !Number.isSafeInteger(n)) w.float64(n)
  // -0 is a safe integer and `-0 >= 0`, so it becomes unsigned 0 as in the SDK.
  else if (n >= 0) w.head(0, n)
  else w.head(1, -1 - n)
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

function writeValue(w: CborWriter, value: unknown, forceFloat: boolean, depth: number): void {
  if (value === null) return void w.head(7, 22)
  switch (typeof value) {
    case 'boolean':
      return void w.head(7, value ? 21 : 20)
    case 'number':
      return writeNumber(w, value, forceFloat)
    case 'string':
      return w.text(value)
    case 'object':
      break
    default:
      throw new TypeError(`CBOR: a ${typeof value} is not encodable`)
  }
  if (depth >= MAX_CBOR_DEPTH) throw new RangeError(`CBOR: nesting deeper than ${MAX_CBOR_DEPTH}`)
  if (value instanceof Float64Json) return writeValue(w, value.json, true, depth + 1)
  if (Array.isArray(value)) {
    w.head(4, value.length)
    for (const item of value) writeValue(w, item, forceFloat, depth + 1)
    return
  }
  if (!isPlainObject(value)) throw new TypeError('CBOR: only plain objects, arrays and JSON scalars are encodable')
  const record = value as Record<string, unknown>
  const keys = Object.keys(record)
  // Objects parsed from JSON the SDK wrote are usually in order already: one pass checks, no sort.
  if (!isSorted(keys)) keys.sort(compareCborKeys)
  w.head(5, keys.length)
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!
    w.text(key)
    writeValue(w, record[key], forceFloat, depth + 1)
  }
}

function isSorted(keys: readonly string[]): boolean {
  for (let i = 1; i < keys.length; i++) if (compareCborKeys(keys[i - 1]!, keys[i]!) > 0) return false
  return true
}

/**
 * Encode one value. Throws TypeError/RangeError for values the SDK cannot encode (NaN, ±Infinity,
 * undefined, bigint, class instances, nesting deeper than MAX_CBOR_DEPTH): callers decide whether
 * that is a bug (append) or a failed check (verify).
 */
export function encodeCbor(value: CborValue): Uint8Array {
  // One writer reused across calls (encoding is synchronous and never re-entrant): no buffer growth
  // per event. A failed encode leaves it dirty, so the length is reset before every use.
  const w = shared
  w.reset()
  writeValue(w, value, false, 0)
  const out = w.buf.slice(0, w.length)
  // Do not keep a buffer that one huge event grew.
  if (w.oversized) shared = new CborWriter()
  return out
}

/** The text string `key` as CBOR (header and UTF-8), for encoders that write constant keys. */
export function encodeCborKey(key: string): Uint8Array {
  return encodeCbor(key)
}

let shared = new CborWriter()
