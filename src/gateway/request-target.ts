// One reading of the request target: the path rule (docs/design/request-target.md) and the Host
// normalisation that route matching and X-Forwarded-Host share. Both run on every request before
// the route table is consulted, so a path or host the upstream could read differently never matches.

/** Why a path was refused; named in the 400 `path_not_canonical` detail. */
export type PathReason =
  | 'not_origin_form'
  | 'invalid_character'
  | 'backslash'
  | 'control_character'
  | 'dot_segment'
  | 'trailing_dot_or_space'
  | 'empty_segment'
  | 'path_parameter'
  | 'malformed_escape'
  | 'encoded_unreserved'
  | 'encoded_separator'
  | 'double_encoding'
  | 'invalid_utf8'
  | 'compatibility_character'
  | 'percent_encoding_refused'

/** gateway.path_rules, compiled. Every option only tightens the default rule. */
export interface PathRules {
  readonly rejectPercentEncoded: boolean
}

export const DEFAULT_PATH_RULES: PathRules = Object.freeze({ rejectPercentEncoded: false })

/**
 * Raw characters a path may hold (RFC 3986 §3.3 pchar and '/', without ';'): 1 = allowed,
 * 0 = refused. Index by charCode < 128; everything ≥ 128 is refused (raw non-ASCII has no single
 * reading: UTF-8 or Latin-1).
 */
const RAW_ALLOWED = new Uint8Array(128)
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&\'()*+,=:@/%') RAW_ALLOWED[c.charCodeAt(0)] = 1

/** RFC 3986 §2.3 unreserved: their percent-encoded form must be decoded by normalisers (§6.2.2.2). */
const UNRESERVED = new Uint8Array(128)
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~') UNRESERVED[c.charCodeAt(0)] = 1

const SLASH = 47
const DOT = 46
const PERCENT = 37
const SEMICOLON = 59
const BACKSLASH = 92

/** Value of a hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

/** The byte of the escape at path[i] ('%XY'), or -1 when it is not two hex digits. */
function escapeAt(path: string, i: number): number {
  if (i + 2 >= path.length) return -1
  const hi = hexValue(path.charCodeAt(i + 1))
  const lo = hexValue(path.charCodeAt(i + 2))
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo
}

/**
 * null when the path has exactly one reading, else the first reason it may have two. One charCode
 * pass; escapes are decoded in place and checked as UTF-8 (Unicode Table 3-7, which excludes
 * overlong forms such as %c0%ae and surrogates). A segment ends at '/' or the end of the path.
 */
export function checkPath(path: string, rules: PathRules): PathReason | null {
  const length = path.length
  if (length === 0 || path.charCodeAt(0) !== SLASH) return 'not_origin_form'
  let segmentStart = 1
  // Pending UTF-8 continuation bytes, and the allowed range of the next one.
  let need = 0
  let low = 0x80
  let high = 0xbf
  // The code point being decoded from a multi-byte escape sequence.
  let cp = 0
  // The last character of the segment so far, decoded (for trailing '.' and ' ').
  let last = -1
  let allDots = true
  for (let i = 1; i <= length; i++) {
    const c = i === length ? SLASH : path.charCodeAt(i)
    if (c === SLASH) {
      if (need !== 0) return 'invalid_utf8'
      if (i === segmentStart) {
        // An empty segment is allowed only as the final one ('/v1/'); '//' is merged by nginx.
        if (i !== length) return 'empty_segment'
      } else if (last === DOT) {
        return allDots ? 'dot_segment' : 'trailing_dot_or_space'
      } else if (last === 32) {
        return 'trailing_dot_or_space'
      }
      segmentStart = i + 1
      last = -1
      allDots = true
      continue
    }
    if (c !== PERCENT) {
      if (need !== 0) return 'invalid_utf8'
      if (c >= 128 || RAW_ALLOWED[c] === 0) return rawReason(c)
      last = c
      if (c !== DOT) allDots = false
      continue
    }
    if (rules.rejectPercentEncoded) return 'percent_encoding_refused'
    const b = escapeAt(path, i)
    if (b < 0) return 'malformed_escape'
    i += 2
    allDots = false
    if (need !== 0) {
      if (b < low || b > high) return 'invalid_utf8'
      need--
      low = 0x80
      high = 0xbf
      last = b
      cp = (cp << 6) | (b & 0x3f)
      if (need === 0 && readsAsAscii(cp)) return 'compatibility_character'
      continue
    }
    if (b < 0x80) {
      const reason = asciiEscapeReason(path, i, b)
      if (reason !== null) return reason
      last = b
      continue
    }
    // A lead byte: C2–DF one more, E0–EF two, F0–F4 three; the first continuation's range
    // narrows for E0 (no overlong), ED (no surrogates), F0 (no overlong) and F4 (≤ U+10FFFF).
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1
      cp = b & 0x1f
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2
      cp = b & 0x0f
      if (b === 0xe0) low = 0xa0
      else if (b === 0xed) high = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3
      cp = b & 0x07
      if (b === 0xf0) low = 0x90
      else if (b === 0xf4) high = 0x8f
    } else return 'invalid_utf8'
    last = b
  }
  return null
}

/**
 * Windows "best-fit" conversion to ANSI code pages maps these to '/' or '\\' though Unicode
 * gives them no compatibility decomposition (¥ and ₩ are the backslash byte in code pages 932 and
 * 949; division and fraction slash, set minus, reverse solidus operator).
 */
const BEST_FIT_SEPARATORS: ReadonlySet<number> = new Set([0x00a5, 0x20a9, 0x2044, 0x2215, 0x2216, 0x29f5])

/**
 * Would a Unicode-normalising or best-fit reader see ASCII here? NFKC maps compatibility forms to
 * ASCII: fullwidth '／' (U+FF0F) and '．' to '/' and '.', '…' to '...', 'ａ' to 'a', no-break and
 * ideographic spaces to ' ', '²' to '2'; so '/admin%EF%BC%8Fx' can be '/admin/x' upstream. Only
 * reached for percent-encoded non-ASCII, which is rare, so the normalize() call costs nothing on
 * the common path.
 */
function readsAsAscii(cp: number): boolean {
  if (BEST_FIT_SEPARATORS.has(cp)) return true
  const normalized = String.fromCodePoint(cp).normalize('NFKC')
  for (let i = 0; i < normalized.length; i++) if (normalized.charCodeAt(i) < 128) return true
  return false
}

function rawReason(c: number): PathReason {
  if (c < 32 || c === 127) return 'control_character'
  if (c === SEMICOLON) return 'path_parameter'
  if (c === BACKSLASH) return 'backslash'
  return 'invalid_character'
}

/** An escape of an ASCII byte; `end` is the index of its last hex digit. */
function asciiEscapeReason(path: string, end: number, b: number): PathReason | null {
  if (b < 32 || b === 127) return 'control_character'
  if (UNRESERVED[b] === 1) return 'encoded_unreserved'
  if (b === SLASH || b === BACKSLASH) return 'encoded_separator'
  if (b === SEMICOLON) return 'path_parameter'
  // '%25' then two hex digits decodes to a fresh escape: a second decoding reads another path.
  // (An escape built from escaped hex digits, '%25%32%65', is already encoded_unreserved.)
  if (b === PERCENT && hexValue(path.charCodeAt(end + 1)) >= 0 && hexValue(path.charCodeAt(end + 2)) >= 0) return 'double_encoding'
  return null
}

/** Fixed problem details, one per reason (no request text is echoed). */
export const PATH_REASON_DETAIL: Readonly<Record<PathReason, string>> = Object.freeze({
  not_origin_form: 'not_origin_form: the request target must be an absolute path starting with "/".',
  invalid_character: 'invalid_character: the path holds a character outside RFC 3986 pchar; percent-encode it.',
  backslash: 'backslash: the path holds a backslash, which some servers read as "/".',
  control_character: 'control_character: the path holds a control character (raw or percent-encoded, e.g. %00).',
  dot_segment: 'dot_segment: the path has a "." or ".." segment; send the resolved path.',
  trailing_dot_or_space: 'trailing_dot_or_space: a path segment ends in "." or a space, which Windows servers strip.',
  empty_segment: 'empty_segment: the path has an empty segment ("//"), which some servers merge.',
  path_parameter: 'path_parameter: the path has ";" (raw or %3B); servers that strip path parameters read another path.',
  malformed_escape: 'malformed_escape: a "%" is not followed by two hex digits (e.g. %u002e).',
  encoded_unreserved: 'encoded_unreserved: the path percent-encodes a letter, digit or "-._~" (e.g. %2e); send it unencoded.',
  encoded_separator: 'encoded_separator: the path has an encoded "/" or "\\" (%2F, %5C).',
  double_encoding: 'double_encoding: the path is percent-encoded twice (e.g. %252e).',
  invalid_utf8: 'invalid_utf8: the percent-encoded bytes are not valid UTF-8 (e.g. overlong %c0%ae).',
  compatibility_character: 'compatibility_character: a percent-encoded character normalises to ASCII (e.g. fullwidth %EF%BC%8F is "/" under NFKC and Windows best-fit); send the ASCII.',
  percent_encoding_refused: 'percent_encoding_refused: this gateway refuses percent-encoded paths (gateway.path_rules.reject_percent_encoded).',
})

/**
 * The Host header read once: lowercase, one trailing dot removed, port split off and rendered as a
 * plain number. `host` (the name alone) is what routes match; `authority` (hostname[:port]) is X-Forwarded-Host.
 */
export interface HostReading {
  host: string | null
  authority: string | null
  hostValid: boolean
}

/**
 * Read Host from rawHeaders: absent (HTTP/1.0) leaves hostname null; a repeated Host (node:http
 * keeps only the first), an empty one or one with characters outside a DNS name / IP literal is
 * invalid. `defaultPort` (80, or 443 on TLS) is dropped from the authority (RFC 3986 §6.2.3).
 */
export function readHost(rawHeaders: readonly string[], out: HostReading, defaultPort: number): void {
  let value: string | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue
    if (value !== null) {
      out.hostValid = false
      return
    }
    value = rawHeaders[i + 1]!
  }
  if (value === null) return
  normalizeAuthority(value, out, defaultPort)
}

/**
 * Normalise `host[:port]` into `out`; sets hostValid = false when it is not a host. A port equal
 * to `defaultPort` is dropped from the authority (`api:80` is `api` on plain HTTP).
 */
export function normalizeAuthority(value: string, out: HostReading, defaultPort = -1): void {
  const lower = value.toLowerCase()
  let hostEnd: number
  let portStart: number
  let hostname: string
  if (lower.charCodeAt(0) === 91 /* [ */) {
    const close = lower.indexOf(']')
    if (close < 3 || !isIpv6Literal(lower, 1, close)) return invalidate(out)
    hostEnd = close + 1
    if (hostEnd === lower.length) portStart = -1
    else if (lower.charCodeAt(hostEnd) === 58 /* : */) portStart = hostEnd + 1
    else return invalidate(out)
    const canonical = canonicalIpv6(lower.slice(0, hostEnd))
    if (canonical === null) return invalidate(out)
    hostname = canonical
  } else {
    const colon = lower.indexOf(':')
    hostEnd = colon === -1 ? lower.length : colon
    portStart = colon === -1 ? -1 : colon + 1
    // One trailing dot is the absolute form of the same name (RFC 1034 §3.1).
    if (hostEnd > 0 && lower.charCodeAt(hostEnd - 1) === DOT) hostEnd--
    if (!isDnsName(lower, hostEnd)) return invalidate(out)
    if (endsInNumber(lower, hostEnd) && !isDottedQuad(lower, hostEnd)) return invalidate(out)
    hostname = hostEnd === lower.length ? lower : lower.slice(0, hostEnd)
  }
  const port = portStart === -1 ? -1 : parsePort(lower, portStart)
  if (port === -2) return invalidate(out)
  out.host = hostname
  if (port < 0 || port === defaultPort) out.authority = hostname
  // The common 'name:8080' is already canonical: reuse the lowercased string instead of rebuilding it.
  else if (portStart === hostEnd + 1 && lower.charCodeAt(portStart) !== 48 /* 0 */ && hostname.length === hostEnd) out.authority = lower
  else out.authority = `${hostname}:${port}`
}

/**
 * '[…]' in the one form the WHATWG URL parser gives (lowercase, zeros compressed: '[0:0::1]' is
 * '[::1]'), or null when it is no IPv6 address. Rare, so the URL parser's cost is fine here.
 */
function canonicalIpv6(literal: string): string | null {
  try {
    const hostname = new URL(`http://${literal}/`).hostname
    return hostname.charCodeAt(0) === 91 ? hostname : null
  } catch {
    return null
  }
}

/**
 * Does the name's last label look like a number (digits, or '0x' hex)? URL parsers and
 * inet_aton() then read the whole name as IPv4 in one of its many forms: '127.1', '0x7f.0.0.1',
 * '2130706433' and '127.000.0.1' are all 127.0.0.1 to them, while a host-bound route compares text.
 */
function endsInNumber(s: string, end: number): boolean {
  const start = s.lastIndexOf('.', end - 1) + 1
  if (start === end) return false
  if (end - start >= 2 && s.charCodeAt(start) === 48 && s.charCodeAt(start + 1) === 120 /* 0x */) {
    for (let i = start + 2; i < end; i++) if (hexValue(s.charCodeAt(i)) < 0) return false
    return true
  }
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** Four decimal parts 0–255 without leading zeros: the one spelling of an IPv4 address we accept. */
function isDottedQuad(s: string, end: number): boolean {
  let parts = 0
  let start = 0
  for (let i = 0; i <= end; i++) {
    if (i < end && s.charCodeAt(i) !== DOT) continue
    const length = i - start
    if (length === 0 || length > 3 || (length > 1 && s.charCodeAt(start) === 48)) return false
    let value = 0
    for (let j = start; j < i; j++) {
      const c = s.charCodeAt(j)
      if (c < 48 || c > 57) return false
      value = value * 10 + (c - 48)
    }
    if (value > 255) return false
    parts++
    start = i + 1
  }
  return parts === 4
}

function invalidate(out: HostReading): void {
  out.hostValid = false
}

/** Letters, digits, '-', '_' in non-empty labels separated by single dots. */
function isDnsName(s: string, end: number): boolean {
  if (end === 0) return false
  let labelLength = 0
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === DOT) {
      if (labelLength === 0) return false
      labelLength = 0
      continue
    }
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 95)) return false
    labelLength++
  }
  return labelLength > 0
}

function isIpv6Literal(s: string, start: number, end: number): boolean {
  let colons = 0
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 58) colons++
    else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || c === DOT)) return false
  }
  return colons >= 2
}

/** Port digits from `start` to the end: -1 when empty (RFC 3986 §6.2.3 drops it), -2 invalid. */
function parsePort(s: string, start: number): number {
  if (start === s.length) return -1
  if (s.length - start > 5) return -2
  let port = 0
  for (let i = start; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return -2
    port = port * 10 + (c - 48)
  }
  return port === 0 || port > 65535 ? -2 : port
}

/** A route's configured host in the same form as a request's hostname. */
export function normalizeRouteHost(host: string, routeName: string): string {
  const reading: HostReading = { host: null, authority: null, hostValid: true }
  normalizeAuthority(host, reading)
  if (!reading.hostValid || reading.host === null) {
    throw new Error(`routes.${routeName}.match.host: "${host}" is not a host name or IP literal; use e.g. "api.example.com"`)
  }
  return reading.host
}
