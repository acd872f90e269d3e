// STUB (dash-ui branch only): the auth helper's branch (dash-auth) owns this file and replaces it with
// the real users/sessions module; at merge take theirs. It answers what GET /ui/api/session answers
// for a visitor without a session, so the app shows first-admin setup.
import type { FastifyRequest } from 'fastify'
import type { VaultContext } from '../../context.ts'

export interface SessionBoot {
  user: { user_id: string; email: string; role: 'admin' | 'reviewer' | 'viewer'; tenant_id: string } | null
  csrf_token: string
  setup_required: boolean
  server_time: string
}

export async function sessionBoot(ctx: VaultContext, _request: FastifyRequest): Promise<SessionBoot> {
  return { user: null, csrf_token: '', setup_required: true, server_time: new Date(ctx.clock.now()).toISOString() }
}
