// Writers that put the pieces of one JSON log line straight into a byte buffer (the log slab):
// no string rope to build, flatten and re-encode per line, no JSON.stringify of short ASCII values,
// no number-to-string conversions. Each takes the buffer and an offset and returns the new offset;
// the caller has reserved room for the worst case (jsonStringMaxBytes and the *_MAX_BYTES below).
// What they write is byte for byte what JSON.stringify / String() would produce.
import { isoTimeField } from './logger.ts'

/** Bytes of a string as UTF-8, encoded once (constant pieces of a line). */
export function utf8Bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

/** Copies a short constant; a plain loop beats TypedArray#set's call overhead below ~64 bytes. */
export function putBytes(buf: Buffer, off: number, bytes: Uint8Array): number {
  const n = bytes.length
  if (n > 64) {
    buf.set(bytes, off)
    return off + n
  }
  for (let i = 0; i < n; i++) buf[off + i] = bytes[i]!
  return off + n
}

/** Worst case of putJsonString: every UTF-16 unit escaped as \uXXXX, plus the quotes. */
export function jsonStringMaxBytes(value: string): number {
  return value.length * 6 + 2
}

const QUOTE = 0x22
const BACKSLASH = 0x5c

/**
 * JSON.stringify(value) as UTF-8. Printable ASCII without `"` or `\` (request ids, methods, the
 * usual paths, agent and tool names) is copied byte by byte; anything else falls back to
 * JSON.stringify, so escapes, non-ASCII and lone surrogates come out exactly as it writes them.
 */
export function putJsonString(buf: Buffer, off: number, value: string): number {
  const start = off
  buf[off++] = QUOTE
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x20 || c > 0x7e || c === QUOTE || c === BACKSLASH) return start + buf.write(JSON.stringify(value), start, 'utf8')
    buf[off++] = c
  }
  buf[off++] = QUOTE
  return off
}

/** Printable ASCII known not to need escaping (a UUID): its bytes, unquoted. */
export function putAscii(buf: Buffer, off: number, value: string): number {
  for (let i = 0; i < value.length; i++) buf[off++] = value.charCodeAt(i)
  return off
}

/** Enough for any safe integer and for putMillis' values (sign, 16 digits, point, 3 decimals). */
export const NUMBER_MAX_BYTES = 24

/** A non-negative safe integer in decimal, as String(n). Other numbers go through String(). */
export function putUint(buf: Buffer, off: number, n: number): number {
  if (!(n >= 0 && Number.isSafeInteger(n))) return off + buf.write(String(n), off, 'latin1')
  if (n < 10) {
    buf[off] = 0x30 + n
    return off + 1
  }
  let digits = 1
  for (let rest = n; rest >= 10; rest = Math.floor(rest / 10)) digits++
  let pos = off + digits
  for (let rest = n; pos > off; rest = Math.floor(rest / 10)) buf[--pos] = 0x30 + (rest % 10)
  return off + digits
}

/**
 * A duration in ms rounded to µs, as String(Math.round(value * 1000) / 1000) writes it: `0`, `12.5`,
 * `0.042`, `1234.567` (no trailing zeros, no exponent below 10^21).
 */
export function putMillis(buf: Buffer, off: number, value: number): number {
  let micros = Math.round(value * 1000)
  if (!Number.isSafeInteger(micros)) return off + buf.write(String(Math.round(value * 1000) / 1000), off, 'latin1')
  if (micros < 0) {
    buf[off++] = 0x2d
    micros = -micros
  }
  const whole = Math.floor(micros / 1000)
  let frac = micros - whole * 1000
  off = putUint(buf, off, whole)
  if (frac === 0) return off
  buf[off++] = 0x2e
  // Three decimals without the trailing zeros: 500 → .5, 40 → .04, 7 → .007.
  buf[off++] = 0x30 + Math.floor(frac / 100)
  frac %= 100
  if (frac === 0) return off
  buf[off++] = 0x30 + Math.floor(frac / 10)
  frac %= 10
  if (frac === 0) return off
  buf[off++] = 0x30 + frac
  return off
}

/** `"time":"<ISO 8601>"`, as pino.stdTimeFunctions.isoTime renders it. */
export const TIME_FIELD_MAX_BYTES = 40

/** The time field for `nowMs`, from the logger's per-millisecond cache (isoTimeField; ASCII). */
export function putTimeField(buf: Buffer, off: number, nowMs: number): number {
  return putAscii(buf, off, isoTimeField(nowMs))
}
