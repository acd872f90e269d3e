// Upstream request headers (ARCHITECTURE "Request path" step 6) and response header hygiene.
// Drop hop-by-hop and every header named in Connection, every inbound X-Ledgix-*, Authorization
// unless the route forwards it, the route's strip list; then set ours and X-Forwarded-*.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'

/** RFC 9110 §7.6.1 hop-by-hop headers, plus names we always rebuild ourselves. */
export const HOP_BY_HOP: readonly string[] = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]

const HOP_BY_HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP)
const REQUEST_ID = 'x-ledgix-request-id'

/** Request headers the gateway rebuilds (host → upstream host; forwarded set from the socket). */
const REBUILT = ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded', 'expect']

const LEDGIX_PREFIX = 'x-ledgix-'

/** The lowercase set of request header names a route drops; computed once per route at load. */
export function compileDropSet(stripHeaders: readonly string[], forwardAuthorization: boolean): ReadonlySet<string> {
  const names = new Set<string>([...HOP_BY_HOP, ...REBUILT])
  for (const name of stripHeaders) names.add(name.toLowerCase())
  if (!forwardAuthorization) names.add('authorization')
  return names
}

/** The verified claims injected upstream (AJwtClaims satisfies this); null on auth: none routes. */
export interface IdentityClaims {
  readonly agent_id: string
  readonly tool: string
  readonly policy_id: string
  readonly session_id: string
  readonly jti: string
  readonly decision: string
}

/**
 * Flat [name, value, …] list for undici. Walks rawHeaders once, so duplicate inbound headers keep
 * their order and case.
 */
export function buildUpstreamHeaders(
  req: IncomingMessage,
  drop: ReadonlySet<string>,
  requestId: string,
  claims: IdentityClaims | null,
  peerTrusted: boolean,
): string[] {
  const raw = req.rawHeaders
  const named = connectionNamed(req.headers.connection)
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const lower = name.toLowerCase()
    if (drop.has(lower) || lower.startsWith(LEDGIX_PREFIX)) continue
    if (named !== null && named.includes(lower)) continue
    out.push(name, raw[i + 1]!)
  }
  out.push('x-ledgix-request-id', requestId)
  if (claims !== null) {
    pushClaim(out, 'x-ledgix-agent-id', claims.agent_id)
    pushClaim(out, 'x-ledgix-tool', claims.tool)
    pushClaim(out, 'x-ledgix-policy-id', claims.policy_id)
    pushClaim(out, 'x-ledgix-session-id', claims.session_id)
    pushClaim(out, 'x-ledgix-token-id', claims.jti)
    pushClaim(out, 'x-ledgix-decision', claims.decision)
  }
  pushForwarded(out, req, peerTrusted)
  return out
}

/**
 * Claims are strings from a signed token, but a header value must not carry CR/LF/NUL, and
 * non-ASCII would be re-encoded as latin1 by node:http; such a claim is left out rather than mangled.
 */
function pushClaim(out: string[], name: string, value: string): void {
  if (value.length === 0 || !isHeaderSafe(value)) return
  out.push(name, value)
}

function isHeaderSafe(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 32 && c !== 9) || c > 126) return false
  }
  return true
}

/**
 * X-Forwarded-For: the socket peer, appended to the client's list only when the peer is a trusted
 * proxy. X-Forwarded-Proto/Host: a trusted proxy's value is kept (it saw the original request);
 * otherwise we state what we saw.
 */
function pushForwarded(out: string[], req: IncomingMessage, peerTrusted: boolean): void {
  const peer = req.socket.remoteAddress ?? ''
  const headers = req.headers
  const inboundFor = peerTrusted ? headerText(headers['x-forwarded-for']) : null
  out.push('x-forwarded-for', inboundFor === null ? peer : `${inboundFor}, ${peer}`)
  const inboundProto = peerTrusted ? headerText(headers['x-forwarded-proto']) : null
  out.push('x-forwarded-proto', inboundProto ?? ('encrypted' in req.socket ? 'https' : 'http'))
  const inboundHost = peerTrusted ? headerText(headers['x-forwarded-host']) : null
  const host = inboundHost ?? headerText(headers.host)
  if (host !== null) out.push('x-forwarded-host', host)
  if (peerTrusted) {
    const forwarded = headerText(headers.forwarded)
    if (forwarded !== null) out.push('forwarded', forwarded)
  }
}

function headerText(value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  if (typeof value === 'string') return value === '' ? null : value
  return value.length === 0 ? null : value.join(', ')
}

/** Names listed in Connection (RFC 9110 §7.6.1); null for the common keep-alive/close values. */
function connectionNamed(value: string | undefined): string[] | null {
  if (value === undefined) return null
  const lower = value.toLowerCase()
  if (lower === 'keep-alive' || lower === 'close') return null
  const names = lower.split(',')
  for (let i = 0; i < names.length; i++) names[i] = names[i]!.trim()
  return names
}

/**
 * The response header block for `res.writeHead(status, list)`: upstream headers minus hop-by-hop
 * and whatever Connection names, then our request id (authoritative: an upstream echoing one back
 * must not replace it) and `connection: close` when asked. A flat [name, value, …] list handed to
 * writeHead goes straight to node:http's header serialiser, without the per-header setHeader()
 * bookkeeping; repeated fields (set-cookie) stay separate lines.
 */
export function responseHeaderList(headers: IncomingHttpHeaders, requestId: string, closeConnection: boolean): string[] {
  const named = connectionNamed(typeof headers.connection === 'string' ? headers.connection : undefined)
  const out: string[] = []
  for (const name in headers) {
    if (HOP_BY_HOP_SET.has(name) || name === REQUEST_ID) continue
    if (named !== null && named.includes(name)) continue
    const value = headers[name]
    if (value === undefined) continue
    if (typeof value === 'string') out.push(name, value)
    else for (let i = 0; i < value.length; i++) out.push(name, value[i]!)
  }
  out.push(REQUEST_ID, requestId)
  if (closeConnection) out.push('connection', 'close')
  return out
}

/** Flat list → object, for http-proxy-3 (WebSocket path only). Repeated names become arrays. */
export function headerListToObject(list: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!.toLowerCase()
    const value = list[i + 1]!
    const prev = out[name]
    if (prev === undefined) out[name] = value
    else if (typeof prev === 'string') out[name] = [prev, value]
    else prev.push(value)
  }
  return out
}
