// RFC 9457 problem+json for every Vault error. Status codes are the contract (the client never parses
// error bodies, spec §1); `error` mirrors `code` for callers used to the Ledgix {error, detail} shape.
import { randomUUID } from 'node:crypto'
import { STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  ERRORS,
  IDENTIFIER_HINT,
  LedgixError,
  PROBLEM_CONTENT_TYPE,
  WWW_AUTHENTICATE_INVALID_TOKEN,
  problemFor,
} from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'
import type { RouteMethods } from './route-methods.ts'

/** A route's answer before it meets a transport (fastify's reply or the fast path): JSON body or problem. */
export type RouteAnswer = { ok: true; body: unknown } | { ok: false; code: ErrorCode; detail: string }

/** Seconds a client should wait after 503 overloaded: one group-commit batch drains in well under that. */
const OVERLOADED_RETRY_AFTER_SECONDS = 1

/** The Retry-After value of a problem, or null when it has none. */
function retryAfterFor(code: ErrorCode, retryAfterSeconds: number | undefined): string | null {
  if (retryAfterSeconds !== undefined) return String(retryAfterSeconds)
  return code === 'overloaded' ? String(OVERLOADED_RETRY_AFTER_SECONDS) : null
}

/** The problem body of every Vault error: RFC 9457 members plus `error` (the Ledgix shape). */
export function problemBody(code: ErrorCode, detail: string | undefined, requestId: string): Record<string, unknown> {
  return { ...problemFor(code, detail, requestId), error: code }
}

/**
 * The headers a problem carries besides its content type, appended to `out` as [name, value, …]:
 * the Bearer challenge on a 401 and Retry-After where the code has one. Shared by fastify's reply
 * (sendProblem) and the fast path's raw response, so both answer header for header alike.
 */
export function pushProblemHeaders(out: string[], code: ErrorCode, retryAfterSeconds: number | undefined): string[] {
  if (ERRORS[code].status === 401) out.push('www-authenticate', WWW_AUTHENTICATE_INVALID_TOKEN)
  const retryAfter = retryAfterFor(code, retryAfterSeconds)
  if (retryAfter !== null) out.push('retry-after', retryAfter)
  return out
}

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, retryAfterSeconds?: number): FastifyReply {
  const body = problemBody(code, detail, String(reply.request.id))
  reply.code(ERRORS[code].status).type(PROBLEM_CONTENT_TYPE)
  const headers = pushProblemHeaders([], code, retryAfterSeconds)
  for (let i = 0; i < headers.length; i += 2) reply.header(headers[i]!, headers[i + 1]!)
  return reply.send(body)
}

/** What a handler's thrown error answers; `unexpected` ones are logged (the cause never reaches the wire). */
export interface ThrownProblem {
  code: ErrorCode
  detail: string | undefined
  unexpected: boolean
}

/** The answer to an error thrown by a handler (not a validation or body-parser error). */
export function problemOfThrown(err: unknown): ThrownProblem {
  if (err instanceof LedgixError) return { code: err.code, detail: err.detail, unexpected: false }
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode
  if (statusCode === 400 || err instanceof SyntaxError) {
    // Parser errors (bad JSON, __proto__ keys): never echo the body back.
    return { code: 'invalid_json', detail: 'the body is not valid JSON', unexpected: false }
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { code: 'invalid_request', detail: 'the request could not be processed', unexpected: false }
  }
  return { code: 'internal_error', detail: 'internal error; see the server log for the request id', unexpected: true }
}

function validationPath(err: FastifyError): string {
  const first = err.validation?.[0]
  if (first === undefined) return ''
  const base = (first.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
  const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty
  const path = missing !== undefined ? (base === '' ? missing : `${base}.${missing}`) : base
  const where = err.validationContext === 'querystring' ? 'query' : err.validationContext === 'params' ? 'path' : 'body'
  return path === '' ? where : `${where}.${path}`
}

export const EMPTY_BODY_DETAIL = 'the body is empty; send a JSON object'

/** fastify error handler: validation and parser errors become 400s naming the field; bugs become 500. */
export function handleVaultError(this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err.validation !== undefined && !(err instanceof LedgixError)) {
    const first = err.validation[0]
    sendProblem(reply, 'invalid_request', `${validationPath(err)}: ${first?.message ?? 'invalid value'}`)
    return
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      sendProblem(reply, 'payload_too_large', 'request body exceeds the configured max_body')
      return
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      sendProblem(reply, 'unsupported_media_type', 'send Content-Type: application/json')
      return
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      sendProblem(reply, 'invalid_json', EMPTY_BODY_DETAIL)
      return
    default:
      break
  }
  const problem = problemOfThrown(err)
  if (problem.unexpected) request.log.error({ err }, 'unhandled Vault error')
  sendProblem(reply, problem.code, problem.detail)
}

/**
 * fastify's not-found handler: a path some route answers with other methods is 405 with Allow
 * (OPTIONS included: the Vault serves no CORS preflight, its dashboard is same-origin), else 404.
 */
export function handleNotFound(this: unknown, routes: RouteMethods, request: FastifyRequest, reply: FastifyReply): void {
  const allowed = routes.allowed(request.url)
  if (allowed === null || allowed.includes(request.method)) {
    sendProblem(reply, 'not_found', 'no such endpoint')
    return
  }
  const allow = allowed.join(', ')
  reply.header('allow', allow)
  sendProblem(reply, 'method_not_allowed', `${request.method} is not allowed here; allowed: ${allow}`)
}

/**
 * fastify's `frameworkErrors`: failures its router meets before any route or hook runs, which it
 * would otherwise answer with its own JSON shape (and a 414 for a long parameter). A parameter
 * longer than the router allows can never be a valid identifier, so it is the same 400 as one that
 * breaks the identifier rule; bad percent-encoding is a 400 too.
 */
export function handleFrameworkError(err: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      sendProblem(reply, 'invalid_request', `path: a parameter is longer than any identifier (${IDENTIFIER_HINT})`)
      return
    case 'FST_ERR_BAD_URL':
      sendProblem(reply, 'invalid_request', 'path: not a valid percent-encoded URL path')
      return
    default:
      sendProblem(reply, 'invalid_request', 'the request could not be routed')
  }
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses before fastify sees a request (a
 * malformed request line, a request line and headers past max_header_size — a very long id in a
 * path ends here —, a request that did not arrive in time), answered as problem+json like every
 * other Vault error instead of fastify's own JSON. The socket is closed after it, as Node does.
 */
export function handleClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'request_timeout' : 'invalid_request'
  const detail =
    code === 'headers_too_large'
      ? 'the request line and headers exceed the server limit; identifiers are at most 128 characters'
      : code === 'request_timeout'
        ? 'the request was not received in time'
        : 'the request is not valid HTTP/1.1'
  if (socket.writable) {
    const body = JSON.stringify(problemBody(code, detail, randomUUID()))
    const status = ERRORS[code].status
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }
  socket.destroy(err)
}
