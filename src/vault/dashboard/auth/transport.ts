// What the dashboard needs to know about how a request reached us: HTTPS or not (X-Forwarded-Proto
// counts only with vault_server.dashboard.trust_proxy), the origin the browser used, whether the host
// is loopback, the client address; and the session cookie's name, parsing and Set-Cookie text.
import type { IncomingMessage } from 'node:http'
import type { VaultDashboardConfig } from '../../../config/types-vault.ts'

/** Over HTTPS: `__Host-` forces Secure, Path=/ and no Domain, so no sibling host or plain-HTTP page can set it. */
export const SECURE_COOKIE = '__Host-ledgix_session'
/** Over plain HTTP on a loopback host (browsers drop Secure cookies there; shared/design/dashboard.md §3.2). */
export const PLAIN_COOKIE = 'ledgix_session'
/** Cookie headers longer than this are not parsed (node caps all headers at 16 KiB anyway). */
const MAX_COOKIE_HEADER = 8192

function first(value: string | string[] | undefined): string | null {
  if (typeof value === 'string') return value
  return null
}

export function isHttps(req: IncomingMessage, config: VaultDashboardConfig): boolean {
  if ((req.socket as { encrypted?: boolean }).encrypted === true) return true
  if (!config.trustProxy) return false
  const proto = first(req.headers['x-forwarded-proto'])
  return proto !== null && proto.split(',')[0]!.trim().toLowerCase() === 'https'
}

/** The Host header's hostname (no port, IPv6 brackets kept), lowercased; null when absent or odd. */
export function hostnameOf(req: IncomingMessage): string | null {
  const host = first(req.headers.host)
  if (host === null || host === '' || host.length > 255) return null
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s@]+)(?::(\d{1,5}))?$/.exec(host)
  return m === null ? null : m[1]!.toLowerCase()
}

export function isLoopbackHost(hostname: string | null): boolean {
  if (hostname === null) return false
  if (hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]') return true
  return /^127(?:\.\d{1,3}){3}$/.test(hostname)
}

/** `https://host[:port]` as the browser would send it in Origin; null without a usable Host header. */
export function ownOrigin(req: IncomingMessage, config: VaultDashboardConfig): string | null {
  const host = first(req.headers.host)
  if (host === null || hostnameOf(req) === null) return null
  return `${isHttps(req, config) ? 'https' : 'http'}://${host.toLowerCase()}`
}

export type Transport = { ok: true; secure: boolean } | { ok: false }

/** HTTPS → secure cookie; plain HTTP → plain cookie on loopback (or with allow_insecure_http); else refused. */
export function transportOf(req: IncomingMessage, config: VaultDashboardConfig): Transport {
  if (isHttps(req, config)) return { ok: true, secure: true }
  if (config.allowInsecureHttp || isLoopbackHost(hostnameOf(req))) return { ok: true, secure: false }
  return { ok: false }
}

/** The peer address, or the first X-Forwarded-For hop when the proxy is trusted. */
export function clientIp(req: IncomingMessage, config: VaultDashboardConfig): string {
  if (config.trustProxy) {
    const xff = first(req.headers['x-forwarded-for'])
    const hop = xff?.split(',')[0]?.trim()
    if (hop !== undefined && hop !== '' && hop.length <= 64) return hop
  }
  return req.socket.remoteAddress ?? 'unknown'
}

/**
 * Cookie header → name/value pairs (RFC 6265 §5.4 serialisation: `a=b; c=d`). Untrusted input: a Map,
 * the first occurrence of a name wins, values are not decoded (our token is base64url), malformed
 * pairs are skipped.
 */
export function parseCookies(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>()
  const text = Array.isArray(header) ? header.join('; ') : header
  if (text === undefined || text === '' || text.length > MAX_COOKIE_HEADER) return out
  for (const part of text.split(';')) {
    const eq = part.indexOf('=')
    if (eq <= 0) continue
    const name = part.slice(0, eq).trim()
    let value = part.slice(eq + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1)
    if (name !== '' && !out.has(name)) out.set(name, value)
  }
  return out
}

/** 43 base64url characters: a 32-byte token. Anything else is not looked up. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/

/** The session token the request carries under the name its transport allows, or null. */
export function sessionTokenOf(req: IncomingMessage, config: VaultDashboardConfig): string | null {
  const cookies = parseCookies(req.headers.cookie)
  const value = cookies.get(isHttps(req, config) ? SECURE_COOKIE : PLAIN_COOKIE)
  return value !== undefined && TOKEN_SHAPE.test(value) ? value : null
}

/** Whether the request carries a session cookie at all (well-formed or not). */
export function hasSessionCookie(req: IncomingMessage, config: VaultDashboardConfig): boolean {
  return parseCookies(req.headers.cookie).has(isHttps(req, config) ? SECURE_COOKIE : PLAIN_COOKIE)
}

export function sessionCookie(token: string, secure: boolean, maxAgeSeconds: number): string {
  return secure
    ? `${SECURE_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; Secure; SameSite=Strict`
    : `${PLAIN_COOKIE}=${token}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict`
}

export function clearedSessionCookie(secure: boolean): string {
  return secure ? `${SECURE_COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict` : `${PLAIN_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict`
}
