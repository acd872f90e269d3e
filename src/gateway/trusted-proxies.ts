// Which socket peers may vouch for X-Forwarded-* (gateway.trusted_proxies): compiled once into a
// node:net BlockList. Anyone else gets their forwarded headers replaced, never appended to
// (oauth2-proxy#3506 trusted client X-Forwarded-* by default and was bypassed).
import { BlockList, isIPv4, isIPv6 } from 'node:net'

export class TrustedProxies {
  readonly #list: BlockList
  readonly #empty: boolean

  constructor(entries: readonly string[]) {
    this.#list = new BlockList()
    this.#empty = entries.length === 0
    for (const entry of entries) addEntry(this.#list, entry)
  }

  isTrusted(address: string | undefined): boolean {
    if (this.#empty || address === undefined) return false
    // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; match them against IPv4 entries.
    if (address.startsWith('::ffff:') && isIPv4(address.slice(7))) return this.#list.check(address.slice(7), 'ipv4')
    return this.#list.check(address, isIPv6(address) ? 'ipv6' : 'ipv4')
  }
}

function addEntry(list: BlockList, entry: string): void {
  const slash = entry.indexOf('/')
  const address = slash === -1 ? entry : entry.slice(0, slash)
  const type = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null
  if (type === null) {
    throw new Error(`gateway.trusted_proxies: "${entry}" is not an IP address or CIDR; use e.g. "10.0.0.0/8" or "127.0.0.1"`)
  }
  if (slash === -1) {
    list.addAddress(address, type)
    return
  }
  const prefix = Number(entry.slice(slash + 1))
  const max = type === 'ipv4' ? 32 : 128
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new Error(`gateway.trusted_proxies: "${entry}" has an invalid prefix length; use 0–${max}`)
  }
  list.addSubnet(address, prefix, type)
}
