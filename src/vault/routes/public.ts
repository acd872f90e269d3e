// Unauthenticated routes: GET /health and GET /.well-known/jwks.json (spec §5.3). The client sends
// X-Vault-API-Key here too; it is ignored, never rejected (spec §1).
import type { FastifyInstance } from 'fastify'
import type { VaultContext } from '../context.ts'

/** Clients and gateways may cache the key set this long; a kid miss refetches sooner. */
export const JWKS_MAX_AGE_SECONDS = 300

export function registerPublicRoutes(app: FastifyInstance, ctx: VaultContext): void {
  app.get('/health', async () => ({ status: 'ok' }))
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`).type('application/json')
    return ctx.keyRing.jwksJson
  })
}
