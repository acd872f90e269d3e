// RFC 9457 problem+json responses for every gateway error, on a ServerResponse or, for refused
// WebSocket upgrades, written as raw HTTP/1.1 on the socket. Bodies carry the catalog title and a
// fixed detail: never token text, keys or raw upstream errors.
import { STATUS_CODES } from 'node:http'
import type { ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import {
  PROBLEM_CONTENT_TYPE,
  WWW_AUTHENTICATE_INVALID_TOKEN,
  WWW_AUTHENTICATE_MISSING,
  problemFor,
} from '../core/index.ts'
import type { ErrorCode } from '../core/index.ts'

/** RFC 6750 §3: token_missing gets a bare challenge, every other 401 names invalid_token. */
function challengeFor(code: ErrorCode, status: number): string | null {
  if (status !== 401) return null
  return code === 'token_missing' ? WWW_AUTHENTICATE_MISSING : WWW_AUTHENTICATE_INVALID_TOKEN
}

/**
 * Answer with a problem. When headers are already out (an upstream failed mid-body) nothing valid
 * can be written any more: destroy the response so the client sees a truncated message, not a
 * corrupted one.
 */
export function writeProblem(
  res: ServerResponse,
  code: ErrorCode,
  detail: string | null,
  requestId: string,
  closeConnection: boolean,
): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const problem = problemFor(code, detail ?? undefined, requestId)
  const body = JSON.stringify(problem)
  res.statusCode = problem.status
  res.setHeader('x-ledgix-request-id', requestId)
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE)
  res.setHeader('content-length', Buffer.byteLength(body))
  res.setHeader('cache-control', 'no-store')
  const challenge = challengeFor(code, problem.status)
  if (challenge !== null) res.setHeader('www-authenticate', challenge)
  if (code === 'shutting_down' || code === 'keys_unavailable' || code === 'vault_unavailable' || code === 'overloaded') {
    res.setHeader('retry-after', '1')
  }
  if (closeConnection) res.setHeader('connection', 'close')
  res.end(body)
}

/** A refused upgrade: the socket never became an HTTP response, so write one by hand and close. */
export function writeProblemOnSocket(socket: Duplex, code: ErrorCode, detail: string | null, requestId: string): void {
  if (socket.destroyed) return
  const problem = problemFor(code, detail ?? undefined, requestId)
  const body = JSON.stringify(problem)
  const status = problem.status
  const challenge = challengeFor(code, status)
  const head =
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
    `content-type: ${PROBLEM_CONTENT_TYPE}\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `x-ledgix-request-id: ${requestId}\r\n` +
    (challenge === null ? '' : `www-authenticate: ${challenge}\r\n`) +
    'connection: close\r\n\r\n'
  socket.end(head + body)
  socket.once('finish', destroySocket)
}

function destroySocket(this: Duplex): void {
  this.destroy()
}
