// Independent readings of a JSON body, for the bind-args property and differential tests: what
// "reasonable upstreams" make of the same bytes. Written differently from src/token/strict-json.ts on
// purpose (TextDecoder, JSON.parse, regex, BigInt, recursion over a string) so that agreement means
// something.
import { canonicalJson } from '../../src/token/index.ts'

/** A parse tree that keeps what parsers disagree on: member order, duplicates, number text. */
export type Node =
  | { t: 'obj'; members: [string, Node][] }
  | { t: 'arr'; items: Node[] }
  | { t: 'str'; v: string }
  | { t: 'num'; text: string }
  | { t: 'lit'; v: boolean | null }

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/

/** Parses text that JSON.parse already accepted (grammar is not re-checked here). */
export function parseTree(text: string): Node {
  let i = 0
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const str = (): string => {
    const end = scanString(text, i)
    const v = JSON.parse(text.slice(i, end)) as string
    i = end
    return v
  }
  const value = (): Node => {
    ws()
    const c = text[i]!
    if (c === '{') {
      i++
      const members: [string, Node][] = []
      ws()
      if (text[i] === '}') {
        i++
        return { t: 'obj', members }
      }
      for (;;) {
        ws()
        const k = str()
        ws()
        i++ // ':'
        members.push([k, value()])
        ws()
        if (text[i++] === '}') return { t: 'obj', members }
      }
    }
    if (c === '[') {
      i++
      const items: Node[] = []
      ws()
      if (text[i] === ']') {
        i++
        return { t: 'arr', items }
      }
      for (;;) {
        items.push(value())
        ws()
        if (text[i++] === ']') return { t: 'arr', items }
      }
    }
    if (c === '"') return { t: 'str', v: str() }
    if (text.startsWith('true', i)) return (i += 4), { t: 'lit', v: true }
    if (text.startsWith('false', i)) return (i += 5), { t: 'lit', v: false }
    if (text.startsWith('null', i)) return (i += 4), { t: 'lit', v: null }
    const m = NUMBER.exec(text.slice(i))!
    i += m[0].length
    return { t: 'num', text: m[0] }
  }
  return value()
}

function scanString(text: string, start: number): number {
  let i = start + 1
  while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
  return i + 1
}

/** Exact decimal value of a JSON number as "mantissa e exponent" with no trailing zeros (BigInt). */
export function exactDecimal(numberText: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(numberText)!
  let mantissa = BigInt((m[1] ?? '') + m[2] + (m[3] ?? ''))
  let exponent = Number(m[4] ?? '0') - (m[3]?.length ?? 0)
  if (mantissa === 0n) return '0'
  while (mantissa % 10n === 0n) {
    mantissa /= 10n
    exponent++
  }
  return `${mantissa}e${exponent}`
}

/** The BigInt-exact reader's view, canonical: sorted keys, numbers as exact decimals. null if it has duplicates. */
export function exactReading(node: Node): string | null {
  switch (node.t) {
    case 'obj': {
      const keys = node.members.map(([k]) => k)
      if (new Set(keys).size !== keys.length) return null
      const parts: string[] = []
      for (const [k, v] of [...node.members].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
        const r = exactReading(v)
        if (r === null) return null
        parts.push(JSON.stringify(k) + ':' + r)
      }
      return '{' + parts.join(',') + '}'
    }
    case 'arr': {
      const parts: string[] = []
      for (const item of node.items) {
        const r = exactReading(item)
        if (r === null) return null
        parts.push(r)
      }
      return '[' + parts.join(',') + ']'
    }
    case 'str':
      return JSON.stringify(node.v)
    case 'num':
      return '#' + exactDecimal(node.text)
    case 'lit':
      return String(node.v)
  }
}

/** The exact reading of an approved (already parsed) argument value: numbers as the text the SDK sent. */
export function exactReadingOfValue(value: unknown): string {
  return exactReading(parseTree(canonicalJson(value)))!
}

/** A double-based reader that keeps the first (or last) of duplicate keys; canonical JSON of what it reads. */
export function doubleReading(node: Node, keep: 'first' | 'last'): string {
  return canonicalJson(toValue(node, keep))
}

function toValue(node: Node, keep: 'first' | 'last'): unknown {
  switch (node.t) {
    case 'obj': {
      const out = new Map<string, unknown>()
      for (const [k, v] of node.members) if (keep === 'last' || !out.has(k)) out.set(k, toValue(v, keep))
      const obj: Record<string, unknown> = Object.create(null) as Record<string, unknown>
      for (const [k, v] of out) obj[k] = v
      return obj
    }
    case 'arr':
      return node.items.map((item) => toValue(item, keep))
    case 'str':
      return node.v
    case 'num':
      return Number(node.text)
    case 'lit':
      return node.v
  }
}

export function depthOf(node: Node): number {
  if (node.t === 'obj') return 1 + Math.max(0, ...node.members.map(([, v]) => depthOf(v)))
  if (node.t === 'arr') return 1 + Math.max(0, ...node.items.map(depthOf))
  return 0
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

function isWellFormed(s: string): boolean {
  return !LONE_SURROGATE.test(s)
}

/** Every string and key is well-formed UTF-16 (no lone surrogate from a \u escape). */
export function allWellFormed(node: Node): boolean {
  if (node.t === 'str') return isWellFormed(node.v)
  if (node.t === 'obj') return node.members.every(([k, v]) => isWellFormed(k) && allWellFormed(v))
  if (node.t === 'arr') return node.items.every(allWellFormed)
  return true
}

/** The SDK's camelCase → snake_case rewrite, written with a regex; null when two keys of one object collide. */
export function snakeReading(node: Node, reached = true): Node | null {
  if (node.t === 'obj') {
    if (!reached) return node
    const seen = new Set<string>()
    const members: [string, Node][] = []
    for (const [k, v] of node.members) {
      const name = k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())
      if (seen.has(name)) return null
      seen.add(name)
      const r = v.t === 'arr' ? snakeArray(v) : snakeReading(v, true)
      if (r === null) return null
      members.push([name, r])
    }
    return { t: 'obj', members }
  }
  return node
}

/** Objects directly in an array are rewritten; arrays in arrays pass through untouched (spec §1). */
function snakeArray(node: Extract<Node, { t: 'arr' }>): Node | null {
  const items: Node[] = []
  for (const item of node.items) {
    const r = item.t === 'obj' ? snakeReading(item, true) : item
    if (r === null) return null
    items.push(r)
  }
  return { t: 'arr', items }
}

/** Bytes → strict text, or null: what a fatal UTF-8 decoder that keeps a BOM as a character makes of them. */
export function strictText(bytes: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes)
  } catch {
    return null
  }
}

/**
 * A case-insensitive binder's reading (Go's encoding/json matches keys to fields under Unicode simple
 * case folding; .NET and Jackson when asked): does some object hold two keys it takes for one? Keys
 * are compared code point by code point, upper- then lower-cased (lower-cased alone where upper-casing
 * yields several characters), the rule docs/design/bound-args.md states.
 */
export function hasCaseFoldPair(node: Node): boolean {
  if (node.t === 'arr') return node.items.some(hasCaseFoldPair)
  if (node.t !== 'obj') return false
  const folded = node.members.map(([k]) => Array.from(k, (c) => (c.toUpperCase().length === c.length ? c.toUpperCase() : c).toLowerCase()).join(''))
  if (new Set(folded).size !== folded.length) return true
  return node.members.some(([, v]) => hasCaseFoldPair(v))
}
