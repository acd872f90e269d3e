// Keys a case-insensitive binder takes for one (issue 16 §2): Go's encoding/json matches object keys
// to struct fields ignoring case under Unicode simple folding ("Amount", "AMOUNT" and "amount" are one
// field, so is "ſtatus" with "status", the Kelvin sign with "k"), and .NET and Jackson do when asked;
// of two such keys the binder keeps the last. A bound body with two keys of one object that fold
// alike therefore has a second reading. Pure; runs only when some key has a capital or non-ASCII.

/** Two keys of one object that fold to the same key. */
export interface CasePair {
  /** Path of the object holding both keys, innermost segment first. */
  readonly path: string[]
  readonly first: string
  readonly second: string
}

/**
 * Per code point: its upper case then that lower-cased, the same for every member of a simple
 * case-fold orbit (k, K and U+212A; s, S and U+017F; σ, ς and Σ; θ, ϑ and Θ). Where upper-casing is a
 * full mapping to several characters (ß → SS, ᾳ → ΑΙ) the code point is lower-cased instead, so "ß"
 * and "ẞ" fold alike, as in Go, and "ß" and "ss" do not. Folding a little more than Go (İ with i̇)
 * refuses such a body too, the safe side.
 */
function fold(key: string): string {
  let ascii = true
  for (let i = 0; i < key.length; i++) {
    if (key.charCodeAt(i) > 0x7f) {
      ascii = false
      break
    }
  }
  if (ascii) return key.toLowerCase()
  let out = ''
  for (const c of key) {
    const upper = c.toUpperCase()
    out += (upper.length === c.length ? upper : c).toLowerCase()
  }
  return out
}

/** The first pair of keys in one object (at any depth, arrays included) that fold alike, or null. */
export function findCasePair(value: unknown): CasePair | null {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const pair = findCasePair(value[i])
      if (pair !== null) {
        pair.path.push(String(i))
        return pair
      }
    }
    return null
  }
  if (typeof value !== 'object' || value === null) return null
  const object = value as Record<string, unknown>
  const keys = Object.keys(object)
  if (keys.length > 1) {
    const seen = new Map<string, string>()
    for (const key of keys) {
      const folded = fold(key)
      const first = seen.get(folded)
      if (first !== undefined) return { path: [], first, second: key }
      seen.set(folded, key)
    }
  }
  for (const key of keys) {
    const pair = findCasePair(object[key])
    if (pair !== null) {
      pair.path.push(key)
      return pair
    }
  }
  return null
}
