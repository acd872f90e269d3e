// Fixtures for dashboard auth tests: a real Vault (test/vault/helpers.ts) with cheap scrypt
// parameters, its setup token, users created through the API, and a cookie-carrying client that
// behaves like the dashboard page (same-origin Fetch Metadata, Origin, X-Ledgix-CSRF).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { TenantId } from '../../src/core/index.ts'
import type { ScryptParams } from '../../src/vault/dashboard/auth/index.ts'
import { call, startHarness } from '../vault/helpers.ts'
import type { Harness, HarnessOptions, JsonResponse } from '../vault/helpers.ts'

/** N=2^4: microseconds per hash, so tests never burn seconds in the KDF (production: ln=16, r=8, p=2). */
export const CHEAP_SCRYPT: ScryptParams = { ln: 4, r: 8, p: 1 }
export const GOOD_PASSWORD = 'correct horse battery staple 42'

export interface DashboardHarness extends Harness {
  setupToken: string
}

export async function startDashboard(t: { after(fn: () => unknown): void }, options: HarnessOptions = {}): Promise<DashboardHarness> {
  const h = await startHarness(t, { dashboardAuth: { scrypt: CHEAP_SCRYPT, maxConcurrentHashes: 64 }, ...options })
  const setupToken = readFileSync(join(h.dataDir, 'setup-token'), 'utf8').trim()
  return { ...h, setupToken }
}

export function setCookieOf(res: JsonResponse): string[] {
  const v = res.headers['set-cookie']
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/** `name=value` of the response's session cookie (the first Set-Cookie), or null. */
export function cookiePairOf(res: JsonResponse): string | null {
  const first = setCookieOf(res)[0]
  return first === undefined ? null : first.split(';')[0]!
}

export interface Browser {
  base: string
  cookie: string | null
  csrf: string | null
}

export interface BrowserCallOptions {
  body?: unknown
  /** Replaces the page-like defaults (Origin, Sec-Fetch-Site, CSRF) when given. */
  headers?: Record<string, string>
  csrf?: boolean
}

/** A request as the dashboard page sends it: cookie, same-origin metadata and the CSRF header. */
export function browserCall(b: Browser, method: string, path: string, options: BrowserCallOptions = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = options.headers ?? { origin: b.base, 'sec-fetch-site': 'same-origin' }
  if (b.cookie !== null) headers.cookie = b.cookie
  if (options.csrf !== false && b.csrf !== null && options.headers === undefined) headers['x-ledgix-csrf'] = b.csrf
  return call(b.base, method, path, { body: options.body, headers })
}

export async function setupAdmin(h: DashboardHarness, email = 'root@example.com', password = GOOD_PASSWORD): Promise<Browser> {
  const b: Browser = { base: h.base, cookie: null, csrf: null }
  const res = await browserCall(b, 'POST', '/ui/api/setup', { body: { setup_token: h.setupToken, email, password } })
  if (res.status !== 201) throw new Error(`setup failed: ${res.status} ${res.text}`)
  return { base: h.base, cookie: cookiePairOf(res), csrf: res.body.csrf_token }
}

export async function login(base: string, email: string, password = GOOD_PASSWORD, tenant?: TenantId): Promise<Browser & { res: JsonResponse }> {
  const b: Browser = { base, cookie: null, csrf: null }
  const res = await browserCall(b, 'POST', '/ui/api/login', { body: { email, password, ...(tenant === undefined ? {} : { tenant_id: tenant }) } })
  if (res.status !== 200) return { ...b, res }
  return { base, cookie: cookiePairOf(res), csrf: res.body.csrf_token, res }
}

/** A user of `tenant` made with that tenant's admin API key; returns its user id. */
export async function createUser(h: Harness, adminKey: string, email: string, role: 'admin' | 'reviewer' | 'viewer', password = GOOD_PASSWORD): Promise<string> {
  const res = await call(h.base, 'POST', '/users', { key: adminKey, body: { email, role, password } })
  if (res.status !== 201) throw new Error(`create user failed: ${res.status} ${res.text}`)
  return res.body.user.user_id
}
