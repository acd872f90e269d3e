// JSON numbers for the strict reader: RFC 8259 grammar, then exactness. A number is read only when
// its text denotes the same decimal as the shortest form of the double it parses to — the form
// canonical JSON writes and the Vault hashed — so a double reader, a decimal reader and a big-integer
// reader all read the hashed number. Exact binary representability would refuse 0.1 and 249.99.

/** What scanNumber reports besides the end offset (the strict reader implements it: no allocation). */
export interface NumberSink {
  numberValue: number
  /** null when the number is read; otherwise why not. */
  numberProblem: string | null
  /** With a problem: true = well-formed but not the hashed value; false = not the JSON grammar. */
  numberInexact: boolean
}

/** At most this many characters of client text are echoed in a detail. */
export const MAX_ECHO = 40

/**
 * Decimals with at most this many significant digits survive decimal → double → shortest decimal
 * unchanged in the normal range (DBL_DIG = 15), so they need no String(value) round trip.
 */
const EXACT_DIGITS = 15
/** Decimal magnitudes whose 15-digit values are normal, finite doubles (DBL_MIN ≈ 2.2e-308, DBL_MAX ≈ 1.8e308). */
const EXACT_MIN_MAGNITUDE = -307
const EXACT_MAX_MAGNITUDE = 307
/** Exponents are saturated here while scanning: far beyond any double, far below 2^53. */
const EXPONENT_CAP = 1e9

/** At "-" or a digit; returns the offset after the number (or of the grammar error). */
export function scanNumber(text: string, start: number, len: number, sink: NumberSink): number {
  sink.numberProblem = null
  sink.numberInexact = false
  let pos = start
  if (text.charCodeAt(pos) === 0x2d) pos++
  // Combined digit index (integer digits, then fraction digits) of the first and last non-zero digit.
  let k = 0
  let firstSig = -1
  let lastSig = -1
  const intStart = pos
  if (text.charCodeAt(pos) === 0x30) {
    pos++
    k++
  } else if (isDigit(text, pos)) {
    for (; pos < len && isDigit(text, pos); pos++, k++) {
      if (text.charCodeAt(pos) !== 0x30) {
        if (firstSig < 0) firstSig = k
        lastSig = k
      }
    }
  } else {
    return grammar(sink, pos, 'expected a digit')
  }
  const intDigits = pos - intStart
  if (text.charCodeAt(pos) === 0x2e /* . */) {
    pos++
    if (!isDigit(text, pos)) return grammar(sink, pos, 'expected a digit after "."')
    for (; pos < len && isDigit(text, pos); pos++, k++) {
      if (text.charCodeAt(pos) !== 0x30) {
        if (firstSig < 0) firstSig = k
        lastSig = k
      }
    }
  }
  let exponent = 0
  const e = text.charCodeAt(pos)
  if (e === 0x65 || e === 0x45) {
    pos++
    let negative = false
    const sign = text.charCodeAt(pos)
    if (sign === 0x2b || sign === 0x2d) {
      negative = sign === 0x2d
      pos++
    }
    if (!isDigit(text, pos)) return grammar(sink, pos, 'expected a digit in the exponent')
    for (; pos < len && isDigit(text, pos); pos++) {
      if (exponent < EXPONENT_CAP) exponent = exponent * 10 + (text.charCodeAt(pos) - 0x30)
    }
    if (negative) exponent = -exponent
  }
  const numeral = text.slice(start, pos)
  const value = Number(numeral)
  sink.numberValue = value
  if (firstSig < 0) return pos // a zero; -0 canonicalises to 0, the same decimal
  const magnitude = intDigits - 1 - firstSig + exponent
  if (lastSig - firstSig < EXACT_DIGITS && magnitude >= EXACT_MIN_MAGNITUDE && magnitude <= EXACT_MAX_MAGNITUDE) return pos
  if (Number.isFinite(value)) {
    const shortest = String(value)
    if (decimalKey(shortest) === decimalKey(numeral)) return pos
    return inexact(sink, pos, `number ${clip(numeral)} reads as ${shortest} once parsed as a double (as hashed); send ${shortest}, or the value as a string`)
  }
  return inexact(sink, pos, `number ${clip(numeral)} is beyond the range of a double`)
}

function grammar(sink: NumberSink, pos: number, problem: string): number {
  sink.numberProblem = problem
  return pos
}

function inexact(sink: NumberSink, pos: number, problem: string): number {
  sink.numberProblem = problem
  sink.numberInexact = true
  return pos
}

function isDigit(text: string, pos: number): boolean {
  const c = text.charCodeAt(pos)
  return c >= 0x30 && c <= 0x39
}

/**
 * Normal form of a decimal numeral (grammar already checked): sign, significant digits without
 * leading or trailing zeros, and the power of ten of the first one; "100.50" and "1.005e2" are both
 * "+1005e2", every zero is "0". Slow path only (over 15 significant digits or an extreme exponent).
 */
export function decimalKey(text: string): string {
  let i = 0
  const sign = text.charCodeAt(0) === 0x2d ? '-' : '+'
  if (sign === '-') i++
  let digits = ''
  let intDigits = 0
  let inFraction = false
  let leading = 0
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x2e) {
      inFraction = true
      continue
    }
    if (c < 0x30 || c > 0x39) break
    if (!inFraction) intDigits++
    if (digits.length === 0 && c === 0x30) leading++
    else digits += text[i]
  }
  let exponent = 0
  if (i < text.length) {
    i++
    let negative = false
    const s = text.charCodeAt(i)
    if (s === 0x2b || s === 0x2d) {
      negative = s === 0x2d
      i++
    }
    for (; i < text.length; i++) if (exponent < EXPONENT_CAP) exponent = exponent * 10 + (text.charCodeAt(i) - 0x30)
    if (negative) exponent = -exponent
  }
  let end = digits.length
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--
  if (end === 0) return '0'
  return sign + digits.slice(0, end) + 'e' + (intDigits - 1 - leading + exponent)
}

export function clip(text: string): string {
  return text.length <= MAX_ECHO ? text : text.slice(0, MAX_ECHO) + '…'
}
