// Upstream request headers (ARCHITECTURE "Request path" step 6) and response header hygiene.
// Names are compared in one canonical form (lowercase, every character but a letter or digit read
// as '-', as CGI/WSGI/Rack/PHP servers may read them): drop hop-by-hop and every header named in
// Connection, every inbound X-Ledgix-*, the names we rebuild (X-Forwarded-*, Forwarded, Host),
// headers that re-route the request upstream (X-Original-URL, method overrides), client-address
// claims from untrusted peers, Authorization unless the route forwards it, the route's strip list;
// then put ours first and the client's after.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import { IDENTITY_HEADER_NAMES } from './identity-headers.ts'

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

/**
 * Headers some upstream reads as the request's path or method instead of the request line, so the
 * route the gateway matched would not be the resource served: IIS URL Rewrite, Symfony/Zend
 * (X-Original-URL, X-Rewrite-URL), and method-override middleware (Express method-override, Symfony,
 * Laravel, Google APIs). Dropped from every peer, trusted proxies included: routing here is decided
 * on the request line alone (docs/design/identity-headers.md).
 */
export const ROUTING_OVERRIDES: readonly string[] = [
  'x-original-url',
  'x-rewrite-url',
  'x-original-uri',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
]

/**
 * Client-address and original-host claims that frameworks read like X-Forwarded-* (X-Real-IP from
 * nginx's realip module, Akamai True-Client-IP, Cloudflare CF-Connecting-IP, …): only a trusted
 * proxy may send them; from anyone else they are dropped.
 */
export const PEER_CLAIMS: readonly string[] = [
  'x-real-ip',
  'x-client-ip',
  'client-ip',
  'true-client-ip',
  'x-cluster-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-original-forwarded-for',
  'x-forwarded',
  'x-original-host',
  'x-host',
]

const ROUTING_OVERRIDE_SET: ReadonlySet<string> = new Set(ROUTING_OVERRIDES)
const PEER_CLAIM_SET: ReadonlySet<string> = new Set(PEER_CLAIMS)

/** Ours alone: no inbound spelling of these prefixes reaches the upstream. */
const LEDGIX_PREFIX = 'x-ledgix-'
/** From a peer that is not a trusted proxy, no X-Forwarded-* at all (-Port, -Prefix, -Ssl, …). */
const FORWARDED_PREFIX = 'x-forwarded-'

/**
 * The name as an upstream may read it: lowercase, and every character that is not a letter or digit
 * as '-'. A CGI/WSGI server maps both X-Ledgix-Tool and X_Ledgix_Tool to HTTP_X_LEDGIX_TOOL (nginx
 * passes underscores through when underscores_in_headers is on), and PHP also turns '.' in a
 * variable name into '_' (X-Ledgix.Tool is $_SERVER['HTTP_X_LEDGIX_TOOL']); so every token
 * character other than a letter or digit ('_', '.', '~', '+', '!', …) is read as the '-' it may
 * become. A plain lowercase name with only '-' (the common case) is returned without allocating more.
 */
export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase()
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i)
    if (c === 45 || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)) continue
    return lower.replace(NOT_ALNUM, '-')
  }
  return lower
}

const NOT_ALNUM = /[^a-z0-9]/g

/** The canonical set of request header names a route drops; computed once per route at load. */
export function compileDropSet(stripHeaders: readonly string[], forwardAuthorization: boolean): ReadonlySet<string> {
  const names = new Set<string>([...HOP_BY_HOP, ...REBUILT])
  for (const name of stripHeaders) names.add(canonicalHeaderName(name))
  if (!forwardAuthorization) names.add('authorization')
  return names
}

/** Is this canonical inbound name one the upstream must only ever get from the gateway? */
function isReserved(canonical: string, peerTrusted: boolean): boolean {
  if (canonical.startsWith(LEDGIX_PREFIX) || ROUTING_OVERRIDE_SET.has(canonical)) return true
  return !peerTrusted && (canonical.startsWith(FORWARDED_PREFIX) || PEER_CLAIM_SET.has(canonical))
}

/**
 * Flat [name, value, …] list for undici: the gateway's headers first (request id, identity,
 * X-Forwarded-*), so an upstream that stops reading at a header-count limit has already seen them;
 * then the client's, walking rawHeaders once so duplicates keep their order and case.
 * `identity` holds the encoded values in IDENTITY_HEADER_NAMES order (identity-headers.ts), or null
 * on auth: none routes.
 */
export function buildUpstreamHeaders(
  req: IncomingMessage,
  drop: ReadonlySet<string>,
  requestId: string,
  identity: readonly string[] | null,
  authority: string | null,
  peerTrusted: boolean,
): string[] {
  const out: string[] = [REQUEST_ID, requestId]
  if (identity !== null) {
    for (let i = 0; i < IDENTITY_HEADER_NAMES.length; i++) out.push(IDENTITY_HEADER_NAMES[i]!, identity[i]!)
  }
  pushForwarded(out, req, authority, peerTrusted)
  const raw = req.rawHeaders
  const named = connectionNamed(req.headers.connection)
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!
    const canonical = canonicalHeaderName(name)
    if (drop.has(canonical) || isReserved(canonical, peerTrusted)) continue
    if (named !== null && named.includes(canonical)) continue
    out.push(name, raw[i + 1]!)
  }
  return out
}

/**
 * X-Forwarded-For: the socket peer, appended to the client's list only when the peer is a trusted
 * proxy. X-Forwarded-Proto/Host: a trusted proxy's value is kept (it saw the original request);
 * otherwise we state what we saw, the Host as normalised for route matching (request-target.ts).
 */
function pushForwarded(out: string[], req: IncomingMessage, authority: string | null, peerTrusted: boolean): void {
  const peer = req.socket.remoteAddress ?? ''
  const headers = req.headers
  const inboundFor = peerTrusted ? headerText(headers['x-forwarded-for']) : null
  out.push('x-forwarded-for', inboundFor === null ? peer : `${inboundFor}, ${peer}`)
  const inboundProto = peerTrusted ? headerText(headers['x-forwarded-proto']) : null
  out.push('x-forwarded-proto', inboundProto ?? ('encrypted' in req.socket ? 'https' : 'http'))
  const inboundHost = peerTrusted ? headerText(headers['x-forwarded-host']) : null
  const host = inboundHost ?? authority
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

/** Canonical names listed in Connection (RFC 9110 §7.6.1); null for the common keep-alive/close values. */
function connectionNamed(value: string | undefined): string[] | null {
  if (value === undefined) return null
  const lower = value.toLowerCase()
  if (lower === 'keep-alive' || lower === 'close') return null
  const names = lower.split(',')
  for (let i = 0; i < names.length; i++) names[i] = canonicalHeaderName(names[i]!.trim())
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
    if (named !== null && named.includes(canonicalHeaderName(name))) continue
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
