// Generators for the bind-args property tests: argument objects, and re-encodings of them that either
// keep their one reading (whitespace, key order, \u escapes, equivalent number spellings) or apply
// one mutation that an upstream could read differently.
import fc from 'fast-check'
import type { GeneratorValue } from 'fast-check'
import { allWellFormed, depthOf, exactReading, hasCaseFoldPair, parseTree, snakeReading, strictText } from '../helpers/json-readings.ts'

export type Mutation =
  | 'none'
  | 'duplicate_same'
  | 'duplicate_other'
  | 'utf8_splice'
  | 'inexact_number'
  | 'lone_surrogate'
  | 'changed_value'
  | 'top_level'
  | 'exact_big_integer'

const MUTATIONS: readonly Mutation[] = [
  'none', 'none', 'none', 'none',
  'duplicate_same', 'duplicate_other', 'utf8_splice', 'inexact_number', 'lone_surrogate', 'changed_value', 'top_level', 'exact_big_integer',
]

const key = fc
  .oneof(
    fc.constantFrom('a', 'b', 'amount', 'currency', 'customer_id', '10', '9', '__proto__', 'toString', 'é', '😀', '～', '', 'a/b', 'q"x', 'tab\t'),
    fc.string({ unit: 'binary', maxLength: 5 }),
  )
  // Capital letters bring in the SDK rewrite, which has its own property.
  .filter((k) => !/[A-Z]/.test(k))

const number = fc.oneof(
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0.1, 249.99, 100.5, 1e21, 1e-7, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 60, -(2 ** 64), 123456789.123, -0, 0.30000000000000004),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(Number),
)

const leaf = fc.oneof(fc.string({ unit: 'binary', maxLength: 6 }), number, number, fc.boolean(), fc.constant(null))

const tree = fc.letrec<{ value: unknown; arr: unknown[]; obj: Record<string, unknown> }>((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('value'), { maxLength: 3 }),
  obj: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
}))

/** Argument objects as a Vault approves them (JSON values, top level an object). */
export const jsonArgs: fc.Arbitrary<Record<string, unknown>> = tree.obj

function pick<T>(g: GeneratorValue, items: readonly T[]): T {
  return items[g(fc.nat, items.length - 1)]!
}

const WHITESPACE = ['', '', '', ' ', '\n', '\t', '\r\n  '] as const
const BAD_UTF8: readonly number[][] = [[0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff]]
const LONE = ['\\ud800', '\\udbff', '\\uDC00', '\\udfff', '\\ud83dx'] as const
const ZEROS = ['0', '-0', '0.0', '0e0', '-0.000', '0E+5', '0.00e-3'] as const

class Encoder {
  readonly g: GeneratorValue
  readonly mutation: Mutation
  readonly target: number
  objects = 0
  strings = 0
  numbers = 0
  leaves = 0
  applied = false

  constructor(g: GeneratorValue, mutation: Mutation, target: number) {
    this.g = g
    this.mutation = mutation
    this.target = target
  }

  ws(): string {
    return pick(this.g, WHITESPACE)
  }

  hits(kind: Mutation, counter: number): boolean {
    if (this.mutation !== kind || this.applied || counter !== this.target) return false
    this.applied = true
    return true
  }

  value(v: unknown): string {
    if (v === null || typeof v === 'boolean') {
      if (this.hits('changed_value', this.leaves++)) return v === null ? '0' : String(!v)
      return String(v)
    }
    if (typeof v === 'number') return this.number(v)
    if (typeof v === 'string') {
      if (this.hits('changed_value', this.leaves++)) return this.string(v + 'x')
      return this.string(v)
    }
    if (Array.isArray(v)) return '[' + this.ws() + v.map((item) => this.value(item) + this.ws()).join(',' + this.ws()) + ']'
    return this.object(v as Record<string, unknown>)
  }

  object(o: Record<string, unknown>): string {
    const keys = Object.keys(o)
    const order = this.g(fc.shuffledSubarray, keys, { minLength: keys.length, maxLength: keys.length })
    const members = order.map((k) => this.ws() + this.string(k) + this.ws() + ':' + this.ws() + this.value(o[k]) + this.ws())
    const index = this.objects++
    if (keys.length > 0 && (this.hits('duplicate_same', index) || this.hits('duplicate_other', index))) {
      const k = pick(this.g, keys)
      const original = o[k]
      const other = typeof original === 'string' ? original + 'x' : 'x'
      const member = this.string(k) + ':' + this.value(this.mutation === 'duplicate_same' ? original : other)
      members.splice(this.g(fc.nat, members.length), 0, member)
    }
    return '{' + this.ws() + members.join(',') + '}'
  }

  string(s: string): string {
    let out = '"'
    const index = this.strings++
    const lone = this.hits('lone_surrogate', index) ? this.g(fc.nat, s.length) : -1
    let i = 0
    for (const ch of s) {
      if (i === lone) out += pick(this.g, LONE)
      out += this.char(ch)
      i += ch.length
    }
    if (lone >= i) out += pick(this.g, LONE)
    return out + '"'
  }

  char(ch: string): string {
    const cp = ch.codePointAt(0)!
    if (ch === '"') return '\\"'
    if (ch === '\\') return '\\\\'
    if (cp < 0x20) {
      const short = ({ 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' } as Record<number, string>)[cp]
      return short !== undefined && this.g(fc.boolean) ? short : unicodeEscape(cp, this.g(fc.boolean))
    }
    const roll = this.g(fc.nat, 7)
    if (roll === 0) {
      const upper = this.g(fc.boolean)
      if (cp > 0xffff) return unicodeEscape(0xd800 + ((cp - 0x10000) >> 10), upper) + unicodeEscape(0xdc00 + ((cp - 0x10000) & 0x3ff), upper)
      return unicodeEscape(cp, upper)
    }
    if (roll === 1 && ch === '/') return '\\/'
    return ch
  }

  number(x: number): string {
    const index = this.numbers++
    if (this.hits('changed_value', this.leaves++)) {
      const changed = x === 0 ? 1 : Number.isFinite(x * 2) ? x * 2 : x / 2
      return String(changed)
    }
    if (x === 0) return pick(this.g, ZEROS)
    const { sign, digits, q } = decompose(x)
    if (this.hits('inexact_number', index)) {
      // Same leading digits plus a far-off 1: usually the same double, never the same decimal.
      const zeros = '0'.repeat(this.g(fc.integer, { min: 8, max: 25 }))
      return `${sign}${digits[0]}.${digits.slice(1)}${zeros}1e${q + digits.length - 1}`
    }
    if (Number.isInteger(x) && Math.abs(x) >= 2 ** 53 && this.hits('exact_big_integer', index)) return BigInt(x).toString()
    return sign + this.spell(digits, q)
  }

  /** digits × 10^q written with the decimal point somewhere else, optional trailing zeros and exponent styles. */
  spell(digits: string, q: number): string {
    const g = this.g
    const scientific = q + digits.length - 1
    let exponent = scientific - g(fc.integer, { min: -2, max: digits.length + 2 })
    if (Math.abs(q) <= 25 && g(fc.nat, 3) === 0) exponent = 0
    const p = q - exponent
    let int: string
    let frac: string
    if (p >= 0) {
      int = digits + '0'.repeat(p)
      frac = ''
    } else if (-p >= digits.length) {
      int = '0'
      frac = '0'.repeat(-p - digits.length) + digits
    } else {
      int = digits.slice(0, digits.length + p)
      frac = digits.slice(digits.length + p)
    }
    frac += '0'.repeat(g(fc.nat, 2))
    const mantissa = frac.length > 0 ? `${int}.${frac}` : int
    if (exponent === 0 && g(fc.boolean)) return mantissa
    const e = pick(g, ['e', 'E'])
    const s = exponent < 0 ? '-' : pick(g, ['', '+'])
    return `${mantissa}${e}${s}${pick(g, ['', '0', '00'])}${Math.abs(exponent)}`
  }
}

function unicodeEscape(unit: number, upper: boolean): string {
  const hex = unit.toString(16).padStart(4, '0')
  return '\\u' + (upper ? hex.toUpperCase() : hex)
}

/** x ≠ 0 as sign, significant digits (no leading or trailing zeros) and the power of ten of the last one. */
function decompose(x: number): { sign: string; digits: string; q: number } {
  const [mantissa, exp] = String(Math.abs(x)).split('e') as [string, string | undefined]
  const [int, frac = ''] = mantissa.split('.') as [string, string | undefined]
  let digits = (int + frac).replace(/^0+/, '')
  let q = Number(exp ?? '0') - frac.length
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1)
    q++
  }
  return { sign: x < 0 ? '-' : '', digits, q }
}

/** One re-encoding of `args`, with the mutation it actually carries ('none' when the chosen one found no target). */
export function encodeBody(args: Record<string, unknown>, g: GeneratorValue, only?: Mutation): { body: Buffer; mutation: Mutation } {
  const mutation = only ?? pick(g, MUTATIONS)
  let encoder = new Encoder(g, mutation, g(fc.nat, 2))
  let text = encoder.ws() + encoder.object(args) + encoder.ws()
  if (mutation !== 'none' && !encoder.applied && mutation !== 'top_level' && mutation !== 'utf8_splice') {
    encoder = new Encoder(g, mutation, 0)
    text = encoder.ws() + encoder.object(args) + encoder.ws()
  }
  if (mutation === 'top_level') {
    text = pick(g, ['null', `[${text}]`, '0', 'true', '"{}"', ' null '])
    return { body: Buffer.from(text), mutation }
  }
  let body = Buffer.from(text, 'utf8')
  if (mutation === 'utf8_splice') {
    const quotes: number[] = []
    for (let i = 0; i < body.length; i++) if (body[i] === 0x22) quotes.push(i + 1)
    const at = quotes.length > 0 ? pick(g, quotes) : 1
    body = Buffer.concat([body.subarray(0, at), Buffer.from(pick(g, BAD_UTF8)), body.subarray(at)])
    return { body, mutation }
  }
  return { body, mutation: encoder.applied ? mutation : 'none' }
}

/** The oracle: does this body have exactly one reading, and is it the approved one (or its SDK rewrite)? */
export function oneReadingEquals(body: Buffer, approvedExact: string): boolean {
  if (body.length === 0) return approvedExact === '{}'
  const text = strictText(body)
  if (text === null) return false
  try {
    JSON.parse(text)
  } catch {
    return false
  }
  const tree = parseTree(text)
  if (tree.t !== 'obj' || depthOf(tree) > 64 || !allWellFormed(tree) || hasCaseFoldPair(tree)) return false
  const exact = exactReading(tree)
  const snake = snakeReading(tree)
  if (exact === null || snake === null) return false
  return exact === approvedExact || exactReading(snake) === approvedExact
}
