// Serves the dashboard at /ui/ (contract docs/design/dashboard.md §2): the HTML shell with the boot
// JSON, the content-hashed assets with strong ETags, the exact security headers on every answer, and
// one static "use HTTPS or localhost" page over plain HTTP on a non-loopback host, where Secure
// cookies, WebCrypto and the clipboard silently disappear (design notes §3.2).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { loadDashboardAssets } from '../../dashboard/assets.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { sessionBoot } from './auth/index.ts'

export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

/** Sent on every /ui/ answer, whatever its status. */
export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
}

export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable'

/** No script, no style: the page must read the same whatever blocks what. */
export const INSECURE_HTTP_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Use HTTPS or localhost — Ledgix dashboard</title></head>
<body>
<main>
<h1>Open the dashboard over HTTPS or on localhost</h1>
<p>This page was reached over plain HTTP on a host that is not this machine. Browsers withhold secure
cookies, WebCrypto and the clipboard from such pages, so sign-in would fail without saying why and a
password would cross the network unencrypted.</p>
<ul>
<li>Put the Vault behind a TLS-terminating proxy and open <code>https://…/ui/</code>, or</li>
<li>open it from this machine at <code>http://127.0.0.1:PORT/ui/</code> (an SSH tunnel works:
<code>ssh -L 8000:127.0.0.1:8000 host</code>).</li>
</ul>
<p>For a lab only, <code>vault_server.dashboard.allow_insecure_http: true</code> serves the dashboard
here anyway, with a permanent warning banner.</p>
</main>
</body>
</html>
`

function hostnameOf(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return ''
  const host = hostHeader.trim().toLowerCase()
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1)
  const colon = host.indexOf(':')
  return colon === -1 ? host : host.slice(0, colon)
}

/** The hosts browsers treat as potentially trustworthy over plain HTTP (W3C Secure Contexts §3.1). */
export function isLoopbackHost(hostHeader: string | undefined): boolean {
  const name = hostnameOf(hostHeader)
  if (name === 'localhost' || name.endsWith('.localhost') || name === '[::1]') return true
  const parts = name.split('.')
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
}

/** true when this request reaches the dashboard over plain HTTP on a non-loopback host. */
export function isInsecureOrigin(request: FastifyRequest): boolean {
  return request.protocol !== 'https' && !isLoopbackHost(request.headers.host)
}

/** JSON inside <script type="application/json">: no "<" at all, so neither "</script" nor "<!--" can end it. */
export function bootScript(boot: unknown): string {
  const json = JSON.stringify(boot).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
  return `<script type="application/json" id="boot">${json}</script>`
}

function withHeaders(reply: FastifyReply): FastifyReply {
  for (const name in DASHBOARD_HEADERS) reply.header(name, DASHBOARD_HEADERS[name]!)
  return reply
}

export function registerDashboardRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const allowInsecure = ctx.config.dashboard?.allowInsecureHttp === true

  /** The insecure-origin page, or null when the request may proceed. */
  function refuseInsecure(request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
    if (allowInsecure || !isInsecureOrigin(request)) return null
    return withHeaders(reply).code(403).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(INSECURE_HTTP_PAGE)
  }

  async function sendIndex(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const refused = refuseInsecure(request, reply)
    if (refused !== null) return refused
    const assets = await loadDashboardAssets()
    const boot = { ...(await sessionBoot(ctx, request)), insecure_http: isInsecureOrigin(request) }
    return withHeaders(reply).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(assets.index.replace('<!--BOOT-->', bootScript(boot)))
  }

  app.get('/ui', sendIndex)
  app.get('/ui/assets/:file', async (request, reply) => {
    const refused = refuseInsecure(request, reply)
    if (refused !== null) return refused
    const { file } = request.params as { file: string }
    const asset = (await loadDashboardAssets()).files.get(file)
    withHeaders(reply)
    if (asset === undefined) return sendProblem(reply.header('cache-control', 'no-store'), 'not_found', `no dashboard asset ${JSON.stringify(file)}`)
    reply.header('etag', asset.etag).header('cache-control', ASSET_CACHE_CONTROL)
    if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim() === asset.etag || tag.trim() === '*') === true) {
      return reply.code(304).send()
    }
    return reply.type(asset.contentType).send(asset.body)
  })
  app.get('/ui/*', async (request, reply) => {
    const rest = (request.params as { '*': string })['*']
    // /ui/api/* belongs to the session endpoints; a file-like path is a missing asset, not a page.
    if (rest.startsWith('api/') || rest.includes('.')) {
      const refused = refuseInsecure(request, reply)
      if (refused !== null) return refused
      return sendProblem(withHeaders(reply).header('cache-control', 'no-store'), 'route_not_found', `no dashboard route ${JSON.stringify(`/ui/${rest}`)}`)
    }
    return sendIndex(request, reply)
  })
}
