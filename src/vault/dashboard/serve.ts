// Serves the dashboard at /ui/ (contract docs/design/dashboard.md §2): the HTML shell with the boot
// JSON, the content-hashed assets with strong ETags, the exact security headers on every answer, and
// one static "use HTTPS or localhost" page over plain HTTP on a non-loopback host, where Secure
// cookies, WebCrypto and the clipboard silently disappear (design notes §3.2).
import type { IncomingMessage } from 'node:http'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { DEFAULT_DASHBOARD_CONFIG } from '../../config/index.ts'
import type { VaultDashboardConfig } from '../../config/types-vault.ts'
import { loadDashboardAssets } from '../../dashboard/index.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { sessionBoot } from './auth/index.ts'
import { hostnameOf, isHttps, isLoopbackHost } from './auth/transport.ts'

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

/**
 * true when this request reaches the dashboard over plain HTTP on a non-loopback host: the same
 * transport rule the session cookies follow (auth/transport.ts; X-Forwarded-Proto counts only with
 * vault_server.dashboard.trust_proxy).
 */
export function isInsecureOrigin(req: IncomingMessage, config: VaultDashboardConfig): boolean {
  return !isHttps(req, config) && !isLoopbackHost(hostnameOf(req))
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
  const config = ctx.config.dashboard ?? DEFAULT_DASHBOARD_CONFIG
  const allowInsecure = config.allowInsecureHttp

  /** The insecure-origin page, or null when the request may proceed. */
  function refuseInsecure(request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
    if (allowInsecure || !isInsecureOrigin(request.raw, config)) return null
    return withHeaders(reply).code(403).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(INSECURE_HTTP_PAGE)
  }

  async function sendIndex(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const refused = refuseInsecure(request, reply)
    if (refused !== null) return refused
    const assets = await loadDashboardAssets()
    const boot = { ...(await sessionBoot(ctx, request)), insecure_http: isInsecureOrigin(request.raw, config) }
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
