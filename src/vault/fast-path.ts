// The two hot customer endpoints on the raw node:http server, ahead of fastify: exactly
// `POST /consume-token` and `POST /request-clearance` with `Content-Type: application/json` and a
// Content-Length body within max_body. Same auth (authenticateKey), same body parsing (json-body.ts:
// strict UTF-8, fastify's parser with its poisoning rules, the same limits), body checks with the
// same details (body-checks.ts), the same route logic (consumeAnswer, clearanceAnswer), the same
// status, headers and problem+json bytes, the same access line; without fastify's per-request routing, hook runner, body parser and reply lifecycle.
// Everything else — other paths and methods, `//x` and trailing slashes, query strings, other media
// types and charsets, chunked or content-encoded, empty or oversized bodies, shutdown — goes to fastify unchanged.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyBaseLogger } from 'fastify'
import { ERRORS, PROBLEM_CONTENT_TYPE } from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'
import { isoTimeField, rawLineTarget } from '../observability/index.ts'
import type { LineSink, Logger } from '../observability/index.ts'
import { AuthRefusal, authenticateKey } from './auth.ts'
import { bodyOwner, reserveFor, type VaultBodyBudget } from './body-budget.ts'
import { clearanceBodyProblem, consumeBodyProblem } from './body-checks.ts'
import type { AuthContext, VaultContext } from './context.ts'
import { problemBody, problemOfThrown, pushProblemHeaders, type RouteAnswer } from './http-errors.ts'
import type { IdempotencyGate } from './idempotency.ts'
import { bodyFramingProblem, parseJsonBody, type JsonBodyParser } from './json-body.ts'
import { clearanceAnswer } from './routes/clearance.ts'
import { consumeAnswer } from './routes/consume.ts'

const CONSUME = '/consume-token'
const CLEARANCE = '/request-clearance'
/** What fastify's reply appends to a JSON media type without a charset. */
const JSON_TYPE = 'application/json; charset=utf-8'
const PROBLEM_TYPE = `${PROBLEM_CONTENT_TYPE}; charset=utf-8`

const kFast = Symbol('ledgix.fastRequest')

/** Until server.ts installs fastify's parser nothing is parsed (no request arrives before listen). */
function refuseBody(_request: never, _body: string, done: (err: Error | null, value?: unknown) => void): void {
  done(new Error('the fast path has no JSON parser yet'))
}

interface FastIncoming extends IncomingMessage {
  [kFast]?: FastRequest | undefined
}

/** One request on the fast path: every field assigned in the constructor (one object shape). */
class FastRequest {
  readonly path: FastPath
  readonly req: FastIncoming
  readonly res: ServerResponse
  readonly route: string
  readonly id: string
  readonly startMs: number
  readonly length: number
  auth: AuthContext | null = null
  chunks: Buffer[] = []
  received = 0
  constructor(path: FastPath, req: FastIncoming, res: ServerResponse, route: string, length: number) {
    this.path = path
    this.req = req
    this.res = res
    this.route = route
    this.id = randomUUID()
    this.startMs = performance.now()
    this.length = length
  }
}

export class FastPath {
  /** Set by close(): from then on fastify answers (503 while closing, as return503OnClosing says). */
  closing = false
  /** Requests this path answered (tests prove the HTTP suites exercise it). */
  handled = 0
  readonly ctx: VaultContext
  readonly gate: IdempotencyGate
  /** Set by server.ts from the app it fronts (`app.getDefaultJsonParser('error', 'error')`). */
  parseJson: JsonBodyParser = refuseBody
  readonly logger: FastifyBaseLogger | null
  /** Where access lines go, with the logger's pre-rendered bindings (see logAccess). */
  readonly accessSink: LineSink | null
  readonly accessHead: string
  /** The same logger as pino's type, for its level check. */
  readonly accessLogger: Logger | null
  readonly #maxBodyBytes: number
  /** In-flight body bounds shared with fastify's routes (server.ts). */
  readonly bodies: VaultBodyBudget

  constructor(ctx: VaultContext, gate: IdempotencyGate, logger: FastifyBaseLogger | null, bodies: VaultBodyBudget) {
    this.ctx = ctx
    this.bodies = bodies
    this.gate = gate
    this.logger = logger
    // The Vault's logger is always pino (serve.ts passes the root logger's child; fastify's type is narrower).
    this.accessLogger = logger as unknown as Logger | null
    const raw = this.accessLogger === null ? null : rawLineTarget(this.accessLogger)
    this.accessSink = raw === null ? null : raw.sink
    this.accessHead = raw === null ? '' : `${raw.bindings},"reqId":"`
    this.#maxBodyBytes = ctx.config.maxBodyBytes
  }

  /** true when this path answers the request; false hands it to fastify untouched. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'POST' || this.closing) return false
    const url = req.url
    const route = url === CONSUME ? CONSUME : url === CLEARANCE ? CLEARANCE : null
    if (route === null) return false
    const headers = req.headers
    // Cookies and no API key: a dashboard session (CSRF, viewer rule), authenticated by fastify's hook.
    if (headers['x-vault-api-key'] === undefined && headers.cookie !== undefined) return false
    const type = headers['content-type']
    if (type !== 'application/json' && type !== JSON_TYPE) return false
    // Chunked bodies, and framing fastify refuses as 415 (a coding, a repeated Content-Type: bodyFramingProblem), go to fastify.
    if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined) return false
    if (bodyFramingProblem(req) !== null) return false
    const length = Number(headers['content-length'])
    if (!(Number.isInteger(length) && length > 0 && length <= this.#maxBodyBytes)) return false
    this.handled++
    void authenticateThenRead(new FastRequest(this, req, res, route, length))
    return true
  }
}

/** fastify's order: auth (onRequest) before the body is read; a refusal leaves the body unread. */
async function authenticateThenRead(r: FastRequest): Promise<void> {
  try {
    await authenticate(r)
  } catch (err) {
    answerBug(r, err)
  }
}

/**
 * Last net for a bug in this file (a rejected promise here would otherwise be unhandled): a 500
 * problem if nothing was sent yet, else the connection is cut. Never on an expected path.
 */
function answerBug(r: FastRequest, err: unknown): void {
  if (!r.res.headersSent) sendThrown(r, err)
  else r.res.destroy()
}

async function authenticate(r: FastRequest): Promise<void> {
  let auth: AuthContext | AuthRefusal
  try {
    auth = await authenticateKey(r.path.ctx, r.req.headers['x-vault-api-key'])
  } catch (err) {
    sendThrown(r, err)
    return
  }
  if (auth instanceof AuthRefusal) {
    sendProblem(r, auth.code, auth.detail, auth.retryAfterSeconds, false)
    return
  }
  r.auth = auth
  // Within the in-flight body bounds before a byte is read (body-budget.ts); unread, so close after.
  const refused = reserveFor(r.path.bodies, r.res, bodyOwner(auth.tenantId, r.req.socket.remoteAddress ?? ''), r.length)
  if (refused !== null) {
    sendProblem(r, refused.code, refused.detail, undefined, true)
    return
  }
  r.req[kFast] = r
  r.req.on('data', onBodyData)
  r.req.on('end', onBodyEnd)
  r.req.on('error', onBodyError)
}

function detach(req: FastIncoming): FastRequest | undefined {
  const r = req[kFast]
  req.removeListener('data', onBodyData)
  req.removeListener('end', onBodyEnd)
  req.removeListener('error', onBodyError)
  req[kFast] = undefined
  return r
}

function onBodyData(this: FastIncoming, chunk: Buffer): void {
  const r = this[kFast]!
  r.chunks.push(chunk)
  r.received += chunk.length
}

function onBodyEnd(this: FastIncoming): void {
  const r = detach(this)
  if (r !== undefined) void answerBodyGuarded(r)
}

/** The client went away mid-body: nobody is left to answer (fastify's attempt would meet a dead socket). */
function onBodyError(this: FastIncoming): void {
  detach(this)
}

async function answerBodyGuarded(r: FastRequest): Promise<void> {
  try {
    await answerBody(r)
  } catch (err) {
    answerBug(r, err)
  }
}

async function answerBody(r: FastRequest): Promise<void> {
  // Content-Length framing is the HTTP parser's; a mismatch is fastify's FST_ERR_CTP_INVALID_CONTENT_LENGTH.
  if (r.received !== r.length) return sendProblem(r, 'invalid_json', 'the body is not valid JSON', undefined, true)
  const chunks = r.chunks
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, r.received)
  r.chunks = []
  // The same strict UTF-8, parser and limits as fastify's content-type parser (server.ts).
  const parsed = parseJsonBody(bytes, r.path.parseJson)
  // fastify closes the connection after a body it could not parse (the client may send more).
  if (!parsed.ok) return sendProblem(r, parsed.code, parsed.detail, undefined, true)
  const body = parsed.value
  const consume = r.route === CONSUME
  const problem = consume ? consumeBodyProblem(body) : clearanceBodyProblem(body)
  if (problem !== null) return sendProblem(r, 'invalid_request', problem, undefined, false)
  let answer: RouteAnswer
  try {
    const ctx = r.path.ctx
    answer = consume
      ? await consumeAnswer(ctx, (body as { token: string }).token, r.auth!)
      : await clearanceAnswer(ctx, r.path.gate, r.auth!, body as Record<string, unknown>, r.req.headers['idempotency-key'])
  } catch (err) {
    return sendThrown(r, err)
  }
  if (!answer.ok) return sendProblem(r, answer.code, answer.detail, undefined, false)
  const payload = JSON.stringify(answer.body)
  r.res.writeHead(200, ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(payload))])
  r.res.end(payload)
  logAccess(r, 200)
}

function sendThrown(r: FastRequest, err: unknown): void {
  const problem = problemOfThrown(err)
  if (problem.unexpected) r.path.logger?.error({ reqId: r.id, err }, 'unhandled Vault error')
  sendProblem(r, problem.code, problem.detail, undefined, false)
}

/** sendProblem() of http-errors.ts, header for header, on the raw response. */
function sendProblem(r: FastRequest, code: ErrorCode, detail: string | undefined, retryAfterSeconds: number | undefined, close: boolean): void {
  const status = ERRORS[code].status
  const payload = JSON.stringify(problemBody(code, detail, r.id))
  const headers = pushProblemHeaders(close ? ['connection', 'close', 'content-type', PROBLEM_TYPE] : ['content-type', PROBLEM_TYPE], code, retryAfterSeconds)
  headers.push('content-length', String(Buffer.byteLength(payload)))
  r.res.writeHead(status, headers)
  r.res.end(payload)
  logAccess(r, status)
}

/**
 * The access line server.ts has pino write for fastify's requests (logVaultRequest), byte for byte as
 * the root logger renders it (createRootLogger: level label, ISO time), assembled as a string with
 * the logger's own bindings, as the gateway's access log does: every field is ours and needs no
 * escaping (a UUID, a route constant, numbers), so pino's redaction and serialisation passes — 7 %
 * of a consume's CPU in the profile — have nothing to do.
 */
function logAccess(r: FastRequest, status: number): void {
  const path = r.path
  if (path.accessSink === null || !path.accessLogger!.isLevelEnabled('info')) return
  const durationMs = Math.round((performance.now() - r.startMs) * 1000) / 1000
  path.accessSink.writeLine(
    '{"level":"info",' + isoTimeField(Date.now()) + path.accessHead + r.id + '","method":"POST","route":"' + r.route +
      '","status":' + status + ',"duration_ms":' + durationMs + ',"msg":"vault request"}\n',
  )
}
