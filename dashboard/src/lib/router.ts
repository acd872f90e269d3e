// The hash router: "#/reviews/01J…" → { page: 'reviews', id: '01J…' }. Pure.

export const PAGES = ['overview', 'reviews', 'history', 'keys', 'policies', 'settings', 'ledger', 'users', 'account', 'drift', 'reports'] as const
export type Page = (typeof PAGES)[number]

export interface Route {
  page: Page
  /** The second path segment (a review's request id, a policy version, a ledger request id). */
  id: string | null
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '').split('?')[0]!
  const [first, second] = path.split('/')
  const page = (PAGES as readonly string[]).includes(first ?? '') ? (first as Page) : 'overview'
  let id: string | null = null
  if (second !== undefined && second !== '') {
    try {
      id = decodeURIComponent(second)
    } catch {
      id = null
    }
  }
  return { page, id }
}

export function hrefOf(page: Page, id?: string | null): string {
  return id === undefined || id === null ? `#/${page}` : `#/${page}/${encodeURIComponent(id)}`
}

/** The query after "?" in the hash ("#/history?tool=x" → {tool: "x"}): filters that survive a reload. */
export function hashQuery(hash: string): URLSearchParams {
  const i = hash.indexOf('?')
  return new URLSearchParams(i < 0 ? '' : hash.slice(i + 1))
}
