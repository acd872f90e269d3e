// Canonical tool_args as text, never truncated, with every invisible or bidi control character shown
// as a visible \u escape and flagged: a "Trojan Source"-style string must not read differently to the
// approver than it does to the tool. Pure (no DOM): unit-tested under node.

/** Characters that render as nothing or reorder text around them. */
const SUSPICIOUS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB]|\uDB40[\uDC00-\uDC7F]/g

const NAMES: Readonly<Record<number, string>> = {
  0x200b: 'zero-width space',
  0x200c: 'zero-width non-joiner',
  0x200d: 'zero-width joiner',
  0x200e: 'left-to-right mark',
  0x200f: 'right-to-left mark',
  0x2028: 'line separator',
  0x2029: 'paragraph separator',
  0x202a: 'left-to-right embedding',
  0x202b: 'right-to-left embedding',
  0x202c: 'pop directional formatting',
  0x202d: 'left-to-right override',
  0x202e: 'right-to-left override',
  0x2066: 'left-to-right isolate',
  0x2067: 'right-to-left isolate',
  0x2068: 'first strong isolate',
  0x2069: 'pop directional isolate',
  0x061c: 'Arabic letter mark',
  0x00ad: 'soft hyphen',
  0xfeff: 'zero-width no-break space (BOM)',
}

export function describeCodePoint(cp: number): string {
  const hex = cp.toString(16).toUpperCase().padStart(4, '0')
  const name = NAMES[cp] ?? (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? 'control character' : cp >= 0xe0000 ? 'tag character' : 'invisible character')
  return `U+${hex} ${name}`
}

export function escapeCodePoint(cp: number): string {
  return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`
}

export interface ArgSegment {
  readonly text: string
  /** true for an escaped invisible/bidi character (rendered highlighted). */
  readonly flagged: boolean
}

export interface RenderedArgs {
  /** The whole text (pretty JSON) with escapes in place: what "copy" copies. */
  readonly text: string
  readonly segments: readonly ArgSegment[]
  /** One description per distinct flagged character, e.g. "U+202E right-to-left override ×2". */
  readonly flags: readonly string[]
}

/** Escape the suspicious characters of any text. */
export function escapeInvisible(input: string): RenderedArgs {
  const segments: ArgSegment[] = []
  const counts = new Map<number, number>()
  let last = 0
  for (const m of input.matchAll(SUSPICIOUS)) {
    const at = m.index
    if (at > last) segments.push({ text: input.slice(last, at), flagged: false })
    const cp = m[0].codePointAt(0)!
    counts.set(cp, (counts.get(cp) ?? 0) + 1)
    segments.push({ text: escapeCodePoint(cp), flagged: true })
    last = at + m[0].length
  }
  if (last < input.length) segments.push({ text: input.slice(last), flagged: false })
  const flags = [...counts].map(([cp, n]) => `${describeCodePoint(cp)}${n > 1 ? ` ×${n}` : ''}`)
  return { text: segments.map((s) => s.text).join(''), segments, flags }
}

/** tool_args as pretty canonical JSON (keys sorted), escaped. */
export function renderArgs(args: unknown): RenderedArgs {
  return escapeInvisible(JSON.stringify(sortKeys(args), null, 2) ?? 'null')
}

/** One line for a queue row: compact JSON, escaped (the detail view shows it in full). */
export function argsOneLiner(args: unknown): string {
  return escapeInvisible(JSON.stringify(sortKeys(args)) ?? 'null').text
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
    return out
  }
  return value
}
