// Where notifications may be sent (SSRF): https only, plain http only to loopback; loopback, private,
// link-local, CGNAT, unique-local, multicast and unspecified addresses are refused unless the operator
// sets `allow_private_targets`. Checked twice: on the URL when it is saved, and on every address DNS
// returns at connect time (a public name that resolves to 10.0.0.1, or rebinds later, is refused).
import { lookup as dnsLookup } from 'node:dns'
import type { LookupAddress, LookupOptions } from 'node:dns'
import { isIP } from 'node:net'

function v4Forbidden(ip: string): boolean {
  const p = ip.split('.').map(Number)
  const [a, b] = [p[0]!, p[1]!]
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && p[2] === 0) ||
    (a === 198 && (b === 18 || b === 19))
  )
}

/** True for addresses a notification must not reach without `allow_private_targets`. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip)
  if (family === 4) return v4Forbidden(ip)
  if (family !== 6) return true
  const lower = ip.toLowerCase()
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)
  if (mapped !== null) return v4Forbidden(mapped[1]!)
  if (lower === '::' || lower === '::1') return true
  const head = parseInt(lower.split(':')[0] || '0', 16)
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return (head & 0xfe00) === 0xfc00 || (head & 0xffc0) === 0xfe80 || (head & 0xff00) === 0xff00
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

export function isLoopbackHost(hostname: string): boolean {
  const h = bareHost(hostname).toLowerCase()
  if (h === 'localhost' || h.endsWith('.localhost')) return true
  if (isIP(h) === 4) return h.startsWith('127.')
  return h === '::1'
}

/** A field-named problem for a target URL, or null when it may be saved. */
export function targetUrlProblem(field: string, text: string, allowPrivate: boolean): string | null {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return `${field}: not a URL`
  }
  if (url.username !== '' || url.password !== '') return `${field}: credentials in the URL are not allowed`
  const loopback = isLoopbackHost(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return `${field}: must be an https:// URL (plain http only to loopback, for local tests)`
  }
  const host = bareHost(url.hostname)
  if (!allowPrivate && (loopback || (isIP(host) !== 0 && isPrivateAddress(host)))) {
    return `${field}: private, loopback and link-local targets are refused; set vault_server.notifications.allow_private_targets to allow them`
  }
  return null
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for net/tls connect that refuses private answers. Node passes `all: true` from
 * autoSelectFamily (undici's default), so both answer shapes are handled.
 */
export function guardedLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, function checkAnswers(err, addresses) {
    if (err !== null) {
      callback(err, [])
      return
    }
    const list = addresses as LookupAddress[]
    const bad = list.find((a) => isPrivateAddress(a.address))
    if (bad !== undefined || list.length === 0) {
      const refusal: NodeJS.ErrnoException = new Error(`notification target ${hostname} resolves to a private address; refused`)
      refusal.code = 'ERR_PRIVATE_TARGET'
      callback(refusal, [])
      return
    }
    if (options.all === true) callback(null, list)
    else callback(null, list[0]!.address, list[0]!.family)
  })
}
