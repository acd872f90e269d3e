// The structural difference between two JSON values (a review's canonical tool_args against the last
// approved call's): every path whose value was added, removed or changed, as an RFC 6901 JSON Pointer.
// Objects compare by key, arrays by index, numbers by value (canonical JSON: 1 and 1.0 are one value).

/** Changes listed before the list is cut (and `truncated` set): a reviewer reads tens, not thousands. */
export const MAX_ARGS_CHANGES = 1000

export interface ArgsChange {
  /** RFC 6901 JSON Pointer into tool_args ('' = the whole value). */
  path: string
  kind: 'added' | 'removed' | 'changed'
  before?: unknown
  after?: unknown
}

export interface ArgsDiff {
  changes: ArgsChange[]
  truncated: boolean
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** RFC 6901 §3: "~" → "~0", "/" → "~1". */
export function pointerSegment(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}

export function diffArgs(before: unknown, after: unknown, maxChanges = MAX_ARGS_CHANGES): ArgsDiff {
  const out: ArgsDiff = { changes: [], truncated: false }
  walk(before, after, '', out, maxChanges)
  return out
}

function push(out: ArgsDiff, change: ArgsChange, max: number): boolean {
  if (out.changes.length >= max) {
    out.truncated = true
    return false
  }
  out.changes.push(change)
  return true
}

/** false once the list is full (the walk stops). */
function walk(a: unknown, b: unknown, path: string, out: ArgsDiff, max: number): boolean {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()
    for (const key of keys) {
      const at = `${path}/${pointerSegment(key)}`
      const inA = Object.hasOwn(a, key)
      const inB = Object.hasOwn(b, key)
      if (inA && !inB) {
        if (!push(out, { path: at, kind: 'removed', before: a[key] }, max)) return false
      } else if (!inA && inB) {
        if (!push(out, { path: at, kind: 'added', after: b[key] }, max)) return false
      } else if (!walk(a[key], b[key], at, out, max)) return false
    }
    return true
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const shared = Math.min(a.length, b.length)
    for (let i = 0; i < shared; i++) if (!walk(a[i], b[i], `${path}/${i}`, out, max)) return false
    for (let i = shared; i < a.length; i++) if (!push(out, { path: `${path}/${i}`, kind: 'removed', before: a[i] }, max)) return false
    for (let i = shared; i < b.length; i++) if (!push(out, { path: `${path}/${i}`, kind: 'added', after: b[i] }, max)) return false
    return true
  }
  if (sameScalar(a, b)) return true
  return push(out, { path, kind: 'changed', before: a, after: b }, max)
}

/** Equal leaves (or an object against an array, which never are). */
function sameScalar(a: unknown, b: unknown): boolean {
  if (typeof a === 'object' && a !== null) return false
  if (typeof b === 'object' && b !== null) return false
  return a === b
}
