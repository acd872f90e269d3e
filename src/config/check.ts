// Every check that needs more than one value or knows the mode, in one place (Tessera's
// AppendOptions.valid()): run on the normalised Config, reported with YAML paths.
import { isIP } from 'node:net'
import { MAX_CLOCK_SKEW_MS } from './defaults.ts'
import type { PathSegment, PendingProblem } from './problems.ts'
import type { RawConfig } from './schema.ts'
import type { Config, ListenConfig, RouteConfig } from './types.ts'

type Problems = PendingProblem[]

export function checkConfig(config: Config, raw: RawConfig, problems: Problems): void {
  const { mode } = config
  if (mode === 'paired') checkPaired(config, problems)
  if (mode === 'vault-only' && config.routes.length > 0) {
    problems.push({ path: ['routes'], message: 'vault-only mode runs no gateway, so routes would never be served; remove them or use mode: all-in-one' })
  }
  if (mode === 'all-in-one') {
    // The gateway checks the very claims the embedded Vault mints; a mismatch refuses every token.
    for (const claim of ['issuer', 'audience'] as const) {
      if (config.token[claim] !== config.vaultServer[claim]) {
        problems.push({
          path: ['token', claim],
          message: `${JSON.stringify(config.token[claim])} differs from vault_server.${claim} ${JSON.stringify(config.vaultServer[claim])}, so every token the embedded Vault mints would be refused; set both to the same value`,
        })
      }
    }
  }
  config.gateway.trustedProxies.forEach((p, i) => {
    const problem = checkProxy(p)
    if (problem !== null) problems.push({ path: ['gateway', 'trusted_proxies', i], message: problem })
  })
  if (config.token.clockSkewMs > MAX_CLOCK_SKEW_MS) {
    problems.push({ path: ['token', 'clock_skew'], message: `must be at most "5m"; a larger skew keeps expired tokens alive` })
  }
  if (config.jwks.minRefreshMs > config.jwks.maxRefreshMs) {
    problems.push({ path: ['jwks', 'min_refresh'], message: 'must not exceed jwks.max_refresh' })
  }
  checkListeners(config, problems)
  checkRoutes(config.routes, raw, problems)
}

function checkPaired(config: Config, problems: Problems): void {
  if (config.vault.url === null) {
    problems.push({ path: ['vault', 'url'], message: 'paired mode needs the remote Vault URL: add vault.url (e.g. url: ${LEDGIX_VAULT_URL})' })
  } else {
    const problem = checkHttpUrl(config.vault.url)
    if (problem !== null) problems.push({ path: ['vault', 'url'], message: problem })
  }
  if (config.vault.apiKey === null) {
    problems.push({ path: ['vault', 'api_key'], message: 'paired mode needs an API key for the remote Vault: add vault.api_key (e.g. api_key: ${LEDGIX_VAULT_API_KEY})' })
  }
  if (config.jwks.url !== null) {
    const problem = checkHttpUrl(config.jwks.url)
    if (problem !== null) problems.push({ path: ['jwks', 'url'], message: problem })
  }
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', ''])

function checkListeners(config: Config, problems: Problems): void {
  const listeners: Array<[PathSegment[], ListenConfig]> = []
  if (config.mode !== 'vault-only') listeners.push([['gateway', 'listen'], config.gateway.listen])
  if (config.mode !== 'paired') listeners.push([['vault_server', 'listen'], config.vaultServer.listen])
  listeners.push([['admin', 'listen'], config.admin.listen])
  for (let i = 1; i < listeners.length; i++) {
    const [path, a] = listeners[i]!
    for (let k = 0; k < i; k++) {
      const [otherPath, b] = listeners[k]!
      // Port 0 asks the OS for a free port, so it never collides.
      const sameHost = a.host === b.host || WILDCARD_HOSTS.has(a.host) || WILDCARD_HOSTS.has(b.host)
      if (a.port !== 0 && a.port === b.port && sameHost) {
        problems.push({ path: [...path, 'port'], message: `port ${a.port} is already used by ${otherPath.join('.')}; pick another port` })
      }
    }
  }
}

function checkRoutes(routes: readonly RouteConfig[], raw: RawConfig, problems: Problems): void {
  const byName = new Map<string, number>()
  routes.forEach((r, i) => {
    const at: PathSegment[] = ['routes', i]
    const earlier = byName.get(r.name)
    if (earlier !== undefined) problems.push({ path: [...at, 'name'], message: `duplicate route name "${r.name}" (also routes[${earlier}]); names must be unique` })
    else byName.set(r.name, i)

    const urlProblem = checkHttpUrl(r.upstream.url)
    if (urlProblem !== null) {
      const shorthand = typeof raw.routes?.[i]?.upstream === 'string'
      problems.push({ path: shorthand ? [...at, 'upstream'] : [...at, 'upstream', 'url'], message: urlProblem })
    }
    if (!isPlainPrefix(r.match.pathPrefix)) {
      problems.push({
        path: [...at, 'match', 'path_prefix'],
        message: `expected a plain path starting with "/" like "/v1/payments" (no "//", ".", "..", "%", "?" or "#"), got ${JSON.stringify(raw.routes?.[i]?.match.path_prefix ?? r.match.pathPrefix)}`,
      })
    }
    if (r.auth === 'token' && r.tools.length === 0) {
      problems.push({ path: [...at, 'tools'], message: 'auth: token needs at least one tool name (the token\'s "tool" claim); list them, or set auth: none for a passthrough route' })
    }
    if (r.auth === 'none' && r.tools.length > 0) {
      problems.push({ path: [...at, 'tools'], message: 'tools are not checked with auth: none; remove them or set auth: token' })
    }
    if (r.bindArgs === 'exact' && r.auth !== 'token') {
      problems.push({ path: [...at, 'bind_args'], message: '"exact" needs auth: token (the arguments hash is a token claim)' })
    }
    for (let k = 0; k < i; k++) {
      const o = routes[k]!
      if (o.match.host === r.match.host && o.match.pathPrefix === r.match.pathPrefix && methodsOverlap(o.match.methods, r.match.methods)) {
        problems.push({
          path: [...at, 'match'],
          message: `same host, path_prefix and methods as routes[${k}] ("${o.name}"), so one of them could never match; make the matches differ`,
        })
        break
      }
    }
  })
}

function methodsOverlap(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return true
  return a.some((m) => b.includes(m))
}

// Segments of a canonical prefix: RFC 3986 pchar without '%', so the prefix we match is the one written.
const SEGMENT = /^[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/

function isPlainPrefix(prefix: string): boolean {
  if (prefix === '/') return true
  if (!prefix.startsWith('/')) return false
  return prefix
    .slice(1)
    .split('/')
    .every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')
}

/** null when `text` is an http(s) URL without credentials, query or fragment; else the fix. */
export function checkHttpUrl(text: string): string | null {
  let u: URL
  try {
    u = new URL(text)
  } catch {
    return `expected an http(s) URL like "http://127.0.0.1:4000", got ${JSON.stringify(text)}`
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `expected an http:// or https:// URL, got ${JSON.stringify(u.protocol.slice(0, -1))}`
  if (u.username !== '' || u.password !== '') return 'credentials in the URL are not allowed; remove "user:pass@"'
  if (u.search !== '' || text.includes('?')) return 'a query string is not allowed in the URL; remove "?…"'
  if (u.hash !== '' || text.includes('#')) return 'a fragment is not allowed in the URL; remove "#…"'
  return null
}

/** null when `text` is an IP address or CIDR that does not trust everyone; else the fix. */
function checkProxy(text: string): string | null {
  const [addr = '', prefix, extra] = text.split('/')
  const family = isIP(addr)
  const max = family === 4 ? 32 : 128
  const bad = `expected an IP address or CIDR like "10.0.0.0/8", got ${JSON.stringify(text)}`
  if (family === 0 || extra !== undefined) return bad
  if (prefix === undefined) return null
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return bad
  // oauth2-proxy#3506: trusting every client's X-Forwarded-For lets anyone forge their address.
  if (Number(prefix) === 0) return `"${text}" trusts every address, so any client could forge X-Forwarded-*; list your proxies' addresses instead`
  return null
}
