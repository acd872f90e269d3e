// RFC 9457 problem+json for every Vault error. Status codes are the contract (the client never parses
// error bodies, spec §1); `error` mirrors `code` for callers used to the Ledgix {error, detail} shape.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  ERRORS,
  LedgixError,
  PROBLEM_CONTENT_TYPE,
  WWW_AUTHENTICATE_INVALID_TOKEN,
  problemFor,
} from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'

/** Seconds a client should wait after 503 overloaded: one group-commit batch drains in well under that. */
const OVERLOADED_RETRY_AFTER_SECONDS = 1

export function sendProblem(reply: FastifyReply, code: ErrorCode, detail?: string, retryAfterSeconds?: number): FastifyReply {
  const problem = problemFor(code, detail, String(reply.request.id))
  const status = ERRORS[code].status
  reply.code(status).type(PROBLEM_CONTENT_TYPE)
  if (status === 401) reply.header('www-authenticate', WWW_AUTHENTICATE_INVALID_TOKEN)
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(retryAfterSeconds))
  else if (code === 'overloaded') reply.header('retry-after', String(OVERLOADED_RETRY_AFTER_SECONDS))
  return reply.send({ ...problem, error: code })
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

/** fastify error handler: validation and parser errors become 400s naming the field; bugs become 500. */
export function handleVaultError(this: unknown, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof LedgixError) {
    sendProblem(reply, err.code, err.detail)
    return
  }
  if (err.validation !== undefined) {
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
      sendProblem(reply, 'invalid_json', 'the body is empty; send a JSON object')
      return
    default:
      break
  }
  if (err.statusCode === 400 || err instanceof SyntaxError) {
    // Parser errors (bad JSON, __proto__ keys): never echo the body back.
    sendProblem(reply, 'invalid_json', 'the body is not valid JSON')
    return
  }
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    sendProblem(reply, 'invalid_request', 'the request could not be processed')
    return
  }
  request.log.error({ err }, 'unhandled Vault error')
  sendProblem(reply, 'internal_error', 'internal error; see the server log for the request id')
}

export function handleNotFound(_request: FastifyRequest, reply: FastifyReply): void {
  sendProblem(reply, 'not_found', 'no such endpoint')
}
