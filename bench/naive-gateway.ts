// The "naive reference" for the token-gated target (issue 7: ours ≥ 1.5× this): what one would
// write first — node:http + undici, `jose.jwtVerify` against the Vault's JWKS, then an HTTP
// POST /consume-token to the same Vault for every request, then proxy. No replay cache, no batching.
// Usage: node --import tsx bench/naive-gateway.ts <port> <upstream-origin> <vault-url> <api-key> <issuer> <audience>
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'

const argv = process.argv.slice(2)
if (argv.length !== 6) {
  process.stderr.write('usage: naive-gateway.ts <port> <upstream-origin> <vault-url> <api-key> <issuer> <audience>\n')
  process.exit(2)
}
const [portText, upstream, vaultUrl, apiKey, issuer, audience] = argv as [string, string, string, string, string, string]
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'authorization'])
const upstreamPool = new Pool(upstream, { connections: 128, keepAliveTimeout: 4_000 })
const vaultPool = new Pool(vaultUrl, { connections: 32, keepAliveTimeout: 4_000 })
const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', vaultUrl))

function send(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' })
  res.end(message)
}

function forwardHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const name in req.headers) if (!HOP_BY_HOP.has(name)) out[name] = req.headers[name]!
  return out
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const authz = req.headers.authorization
  if (authz === undefined || !authz.startsWith('Bearer ')) return send(res, 401, 'missing token')
  const token = authz.slice(7)
  try {
    await jwtVerify(token, jwks, { issuer, audience, algorithms: ['EdDSA'] })
  } catch {
    return send(res, 401, 'invalid token')
  }
  const burn = await vaultPool.request({
    path: '/consume-token',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vault-api-key': apiKey },
    body: JSON.stringify({ token }),
  })
  await burn.body.dump()
  if (burn.statusCode !== 200) return send(res, burn.statusCode === 409 ? 409 : 503, 'burn refused')
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  const up = await upstreamPool.request({
    path: req.url ?? '/',
    method: req.method as Dispatcher.HttpMethod,
    headers: forwardHeaders(req),
    body: hasBody ? req : null,
  })
  const headers: Record<string, string | string[]> = {}
  for (const name in up.headers) if (!HOP_BY_HOP.has(name)) headers[name] = up.headers[name]!
  res.writeHead(up.statusCode, headers)
  for await (const chunk of up.body) res.write(chunk)
  res.end()
}

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  handle(req, res).catch(() => {
    if (!res.headersSent) send(res, 502, 'upstream error')
    else res.destroy()
  })
})
server.listen(Number(portText), '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }) + '\n')
})

function shutdown(): void {
  server.close()
  server.closeAllConnections()
  void Promise.all([upstreamPool.close(), vaultPool.close()]).finally(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
