// Channel filters match tool and agent names against operator globs (`*` any run, `?` one char).
// A two-pointer matcher with one backtrack point: linear-ish, no regex, so no pattern can blow up.

export function globMatch(pattern: string, text: string): boolean {
  let p = 0
  let t = 0
  let starP = -1
  let starT = 0
  while (t < text.length) {
    const pc = pattern.charCodeAt(p)
    if (p < pattern.length && (pc === 63 /* ? */ || pc === text.charCodeAt(t))) {
      p++
      t++
    } else if (p < pattern.length && pc === 42 /* * */) {
      starP = p++
      starT = t
    } else if (starP !== -1) {
      p = starP + 1
      t = ++starT
    } else {
      return false
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === 42) p++
  return p === pattern.length
}

/** An empty list matches everything; otherwise any one glob must match. */
export function anyGlob(patterns: readonly string[], text: string): boolean {
  if (patterns.length === 0) return true
  for (const g of patterns) if (globMatch(g, text)) return true
  return false
}
