// GET /events/stream: Server-Sent Events of the caller's tenant (review.created, review.decided,
// review.expired, agent.locked, agent.released), behind the customer auth hook like every tenant
// route. The response is taken over from fastify (reply.hijack) and held by the live event hub.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'

/** Last-Event-ID values we issue are UUIDv7 (36 characters); anything much longer is not ours. */
const MAX_LAST_EVENT_ID_LENGTH = 64
/** TCP keep-alive probes on a stream socket: a peer that vanished without a FIN is found eventually. */
const STREAM_KEEPALIVE_MS = 30_000

function lastEventIdOf(request: FastifyRequest): string | null {
  const v = request.headers['last-event-id']
  if (typeof v !== 'string') return null
  const id = v.trim()
  // An over-long or empty id cannot be one we issued: treated as unknown (the stream starts with reset).
  if (id === '') return null
  return id.length > MAX_LAST_EVENT_ID_LENGTH ? id.slice(0, MAX_LAST_EVENT_ID_LENGTH) : id
}

export function registerEventStreamRoute(app: FastifyInstance, ctx: VaultContext): void {
  // No automatic HEAD: a HEAD must not open a stream.
  app.get('/events/stream', { exposeHeadRoute: false }, async (request: FastifyRequest, reply: FastifyReply) => {
    const hub = ctx.live
    const tenantId = request.auth!.tenantId
    const admission = hub.admit(tenantId)
    if (!admission.ok) return sendProblem(reply, admission.code, admission.detail, admission.retryAfterSeconds)
    reply.hijack()
    const res = reply.raw
    const socket = request.raw.socket
    // The listener's idle timeout is for requests in flight; a stream is kept alive by its
    // heartbeats and cut by the hub when it stops draining, so the socket timer is turned off.
    socket.setTimeout(0)
    socket.setKeepAlive(true, STREAM_KEEPALIVE_MS)
    // After the stream ends (shutdown) the connection closes instead of idling for another request.
    res.shouldKeepAlive = false
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    })
    hub.attach(tenantId, res, lastEventIdOf(request))
    // A hijacked reply skips the onResponse access line: the stream writes its own when it ends.
    res.once('close', () => {
      request.log.info({ method: 'GET', route: '/events/stream', status: 200, duration_ms: Math.round(reply.elapsedTime) }, 'vault request')
    })
  })
}
