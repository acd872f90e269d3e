// Share links (design notes C3): 256 bits from the CSPRNG, prefixed `lgxs_` so secret scanners can
// find leaked ones, stored only as sha256(token) — a database leak yields no usable link. Lookup is
// by hash (an index probe, not a comparison loop an attacker can time), and every failure looks the
// same to the holder.
import { createHash, randomBytes } from 'node:crypto'
import { isIP } from 'node:net'

export const SHARE_TOKEN_PREFIX = 'lgxs_'
const TOKEN_BYTES = 32
/** 'lgxs_' + 43 base64url characters. */
const TOKEN_SHAPE = /^lgxs_[A-Za-z0-9_-]{43}$/

export function mintShareToken(): { token: string; tokenHash: string } {
  const token = SHARE_TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url')
  return { token, tokenHash: hashShareToken(token) }
}

export function hashShareToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/** Cheap shape check first: a malformed path parameter never reaches the store. */
export function isShareTokenShaped(token: string): boolean {
  return TOKEN_SHAPE.test(token)
}

/** The viewer's /24 (IPv4) or /48 (IPv6): enough to tell viewers apart in the log, not to locate one. */
export function ipPrefixOf(ip: string): string {
  const mapped = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip
  if (isIP(mapped) === 4) return mapped.split('.').slice(0, 3).join('.') + '.0/24'
  if (isIP(mapped) === 6) {
    const [head = '', tail = ''] = mapped.split('::')
    const left = head === '' ? [] : head.split(':')
    const right = tail === '' ? [] : tail.split(':')
    const groups = mapped.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left
    return groups.slice(0, 3).map((g) => g.toLowerCase()).join(':') + '::/48'
  }
  return 'unknown'
}
