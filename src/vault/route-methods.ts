// Which methods each registered URL pattern answers, so a request that matches a route's path but
// not its method is 405 method_not_allowed with an Allow header (RFC 9110 §15.5.6), not a 404.
// fastify's router answers both the same (its not-found handler); this table is built once from
// the onRoute hook, and read only on that not-found path.

interface Pattern {
  /** Path segments: a literal, ":" for one parameter segment, "*" for the rest of the path. */
  segments: string[]
  methods: Set<string>
}

/** The router's reading of a URL path (server.ts routerOptions): query cut, `//` and a trailing `/` ignored. */
function pathSegments(url: string): string[] {
  let end = url.length
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i)
    // find-my-way ends the path at "?", ";" and "#".
    if (c === 0x3f || c === 0x3b || c === 0x23) {
      end = i
      break
    }
  }
  const out: string[] = []
  for (const raw of url.slice(0, end).split('/')) {
    if (raw === '') continue
    let segment = raw
    try {
      segment = decodeURIComponent(raw)
    } catch {
      // Bad escapes are the router's 400 (handleFrameworkError); here the raw text simply matches nothing static.
    }
    out.push(segment)
  }
  return out
}

function patternOf(url: string): string[] {
  return url
    .split('/')
    .filter((s) => s !== '')
    .map((s) => (s.startsWith(':') ? ':' : s === '*' ? '*' : s))
}

function matches(pattern: readonly string[], path: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!
    if (p === '*') return true
    const s = path[i]
    if (s === undefined) return false
    if (p !== ':' && p !== s) return false
  }
  return path.length === pattern.length
}

export class RouteMethods {
  readonly #patterns = new Map<string, Pattern>()

  /** onRoute: one (method, url) as registered; GET implies HEAD (fastify's exposeHeadRoutes). */
  add(method: string | readonly string[], url: string): void {
    const segments = patternOf(url)
    const id = segments.join('/')
    let entry = this.#patterns.get(id)
    if (entry === undefined) {
      entry = { segments, methods: new Set() }
      this.#patterns.set(id, entry)
    }
    for (const m of [method].flat()) {
      entry.methods.add(m)
      if (m === 'GET') entry.methods.add('HEAD')
    }
  }

  /** The methods some route answers at this URL, sorted (the Allow value), or null when no route has this path. */
  allowed(url: string): string[] | null {
    const path = pathSegments(url)
    let found: Set<string> | null = null
    for (const entry of this.#patterns.values()) {
      if (!matches(entry.segments, path)) continue
      found ??= new Set()
      for (const m of entry.methods) found.add(m)
    }
    return found === null ? null : [...found].sort()
  }
}
