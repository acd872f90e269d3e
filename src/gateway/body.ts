// Bounded body buffering, used only by bind_args routes (every other route streams). Stops reading
// at max_body and answers 413 instead of growing without bound, and holds only what the body budget
// (body-budget.ts) grants: a declared Content-Length is reserved before a byte is read, a chunked
// body as it arrives; past the budget the answer is 503 overloaded at once.
import type { IncomingMessage } from 'node:http'
import type { BodyBudget } from './body-budget.ts'
import type { RequestContext } from './request-context.ts'
import type { CompiledRoute } from './route-table.ts'

export type BodyResult = { ok: true; body: Buffer } | { ok: false; code: 'body_too_large' | 'overloaded'; detail: string }

class BodyReader {
  readonly ctx: RequestContext
  readonly route: CompiledRoute
  readonly budget: BodyBudget
  /** Chunked bodies reserve per chunk; a declared length was reserved in full up front. */
  readonly reservePerChunk: boolean
  readonly chunks: Buffer[]
  length: number
  resolve: (result: BodyResult) => void
  reject: (err: Error) => void

  constructor(
    ctx: RequestContext,
    route: CompiledRoute,
    budget: BodyBudget,
    reservePerChunk: boolean,
    resolve: (r: BodyResult) => void,
    reject: (e: Error) => void,
  ) {
    this.ctx = ctx
    this.route = route
    this.budget = budget
    this.reservePerChunk = reservePerChunk
    this.chunks = []
    this.length = 0
    this.resolve = resolve
    this.reject = reject
  }
}

const kReader = Symbol('ledgix.bodyReader')
type ReadingRequest = IncomingMessage & { [kReader]?: BodyReader }

const TOO_LARGE_DECLARED = 'Content-Length exceeds this route\'s max_body.'
const TOO_LARGE_STREAMED = 'Request body exceeds this route\'s max_body.'
const OVER_BUDGET: BodyResult = {
  ok: false,
  code: 'overloaded',
  detail: 'The gateway already holds as many request bodies as max_inflight_body allows; retry shortly (the token was not used).',
}

/**
 * Read the whole body of a bind_args request. Reserved bytes are recorded on ctx.bodyReservedBytes
 * and given back by Gateway.requestEnded, because the buffer lives until the response ends.
 */
export function readBoundedBody(ctx: RequestContext, route: CompiledRoute, budget: BodyBudget): Promise<BodyResult> {
  const req = ctx.req
  const declared = req.headers['content-length']
  let reservePerChunk = true
  if (declared !== undefined) {
    const length = Number(declared)
    if (length > route.maxBodyBytes) return Promise.resolve({ ok: false, code: 'body_too_large', detail: TOO_LARGE_DECLARED })
    if (!reserve(ctx, route, budget, length)) return Promise.resolve(OVER_BUDGET)
    reservePerChunk = false
  }
  return new Promise<BodyResult>((resolve, reject) => {
    const reader = new BodyReader(ctx, route, budget, reservePerChunk, resolve, reject)
    ;(req as ReadingRequest)[kReader] = reader
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
}

function reserve(ctx: RequestContext, route: CompiledRoute, budget: BodyBudget, bytes: number): boolean {
  // The response has ended and its reservation was given back: nothing may be taken after that.
  if (ctx.finished) return false
  if (bytes === 0) return true
  if (!budget.tryReserve(route.name, route.maxInflightBodyBytes, bytes)) return false
  ctx.bodyReservedBytes += bytes
  return true
}

function detach(req: ReadingRequest): BodyReader | undefined {
  const reader = req[kReader]
  req.off('data', onData)
  req.off('end', onEnd)
  req.off('error', onError)
  req.off('close', onClose)
  delete req[kReader]
  return reader
}

function onData(this: ReadingRequest, chunk: Buffer): void {
  const reader = this[kReader]
  if (reader === undefined) return
  reader.length += chunk.length
  if (reader.length > reader.route.maxBodyBytes) return stop(this, reader, { ok: false, code: 'body_too_large', detail: TOO_LARGE_STREAMED })
  if (reader.reservePerChunk && !reserve(reader.ctx, reader.route, reader.budget, chunk.length)) return stop(this, reader, OVER_BUDGET)
  reader.chunks.push(chunk)
}

/** Stop reading; the problem goes out with Connection: close so the rest is never consumed. */
function stop(req: ReadingRequest, reader: BodyReader, result: BodyResult): void {
  detach(req)
  req.pause()
  reader.chunks.length = 0
  reader.resolve(result)
}

function onEnd(this: ReadingRequest): void {
  const reader = detach(this)
  if (reader !== undefined) reader.resolve({ ok: true, body: Buffer.concat(reader.chunks, reader.length) })
}

function onError(this: ReadingRequest, err: Error): void {
  const reader = detach(this)
  if (reader !== undefined) reader.reject(err)
}

function onClose(this: ReadingRequest): void {
  const reader = detach(this)
  if (reader !== undefined) reader.reject(new Error('client closed the connection while sending the body'))
}
