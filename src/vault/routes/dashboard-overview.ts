// GET /overview: the dashboard's landing page in one read (dashboard-overview.ts builds it).
import type { FastifyInstance } from 'fastify'
import type { VaultContext } from '../context.ts'
import { overviewOf } from '../dashboard-overview.ts'
import { sendProblem } from '../http-errors.ts'

export function registerDashboardOverviewRoute(app: FastifyInstance, ctx: VaultContext): void {
  app.get('/overview', async (request, reply) => {
    const auth = request.auth!
    if (auth.role === 'agent') return sendProblem(reply, 'forbidden', 'the overview needs a reviewer or admin key')
    return overviewOf(ctx, auth.tenantId)
  })
}
