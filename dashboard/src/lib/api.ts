// fetch for the dashboard: same-origin JSON, the session's CSRF token on every non-GET
// (X-Ledgix-CSRF), and problem+json turned into an ApiError with the stable `code`.

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly detail: string
  readonly retryAfterSeconds: number | null
  readonly body: Record<string, unknown>
  constructor(status: number, body: Record<string, unknown>, retryAfter: number | null) {
    const detail = typeof body['detail'] === 'string' ? body['detail'] : typeof body['title'] === 'string' ? body['title'] : `HTTP ${status}`
    super(detail)
    this.status = status
    this.code = typeof body['code'] === 'string' ? body['code'] : typeof body['error'] === 'string' ? body['error'] : `http_${status}`
    this.detail = detail
    this.retryAfterSeconds = retryAfter
    this.body = body
  }
}

let csrfToken = ''
let onUnauthorized: (() => void) | null = null

export function setCsrfToken(token: string): void {
  csrfToken = token
}

/** Called when a data endpoint answers 401: the session ended (idle timeout, revoked). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn
}

export async function request<T>(method: string, path: string, body?: unknown, extra?: Record<string, string>): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra }
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && method !== 'HEAD') headers['x-ledgix-csrf'] = csrfToken
  const res = await fetch(path, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text === '' ? null : JSON.parse(text)
  } catch {
    parsed = { detail: text.slice(0, 200) }
  }
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'))
    if (res.status === 401 && !path.startsWith('/ui/api/')) onUnauthorized?.()
    throw new ApiError(res.status, (parsed ?? {}) as Record<string, unknown>, Number.isFinite(retry) && retry > 0 ? retry : null)
  }
  return parsed as T
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path)
export const post = <T>(path: string, body?: unknown): Promise<T> => request<T>('POST', path, body ?? {})
export const put = <T>(path: string, body: unknown): Promise<T> => request<T>('PUT', path, body)
export const patch = <T>(path: string, body: unknown): Promise<T> => request<T>('PATCH', path, body)
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path)

export function errorText(err: unknown): string {
  if (err instanceof ApiError) return `${err.detail} (${err.code})`
  return err instanceof Error ? err.message : String(err)
}
