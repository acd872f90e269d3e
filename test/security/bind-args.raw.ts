// Raw HTTP/1.1 exchanges for the bind-args suites against a real `serve` process: hand-built bytes
// (duplicate or underscore headers, codings, chunk extensions, trailers, pipelined bytes) that no
// HTTP client library would send, and the first response read back with its problem code.
import { connect } from 'node:net'

export interface RawReply {
  status: number
  /** Header block of the first final response, lowercase names; repeated names joined by ", ". */
  headers: Record<string, string>
  /** Its body, de-chunked. */
  body: Buffer
  /** The problem `code`, or '' when the body is not a problem. */
  code: string
  detail: string
}

/** Head lines (no CRLFs) and a body; Content-Length is added unless `framing` says otherwise. */
export function rawRequest(lines: readonly string[], body: Buffer | string, framing: 'length' | 'none' = 'length'): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  const head = [...lines]
  if (framing === 'length') head.push(`Content-Length: ${bytes.length}`)
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), bytes])
}

/** Chunked body bytes: each non-empty piece a chunk (a zero-size chunk would end the body), then the last chunk and trailers. */
export function chunked(pieces: readonly (string | Buffer)[], extension = '', trailers: readonly string[] = []): Buffer {
  const parts: Buffer[] = []
  for (const piece of pieces) {
    const b = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece
    if (b.length === 0) continue
    parts.push(Buffer.from(`${b.length.toString(16)}${extension}\r\n`, 'latin1'), b, Buffer.from('\r\n'))
  }
  parts.push(Buffer.from(`0\r\n${trailers.map((t) => t + '\r\n').join('')}\r\n`, 'latin1'))
  return Buffer.concat(parts)
}

/**
 * Write `bytes` in one piece on a fresh connection and read until the server closes it (send
 * `Connection: close`) or `timeoutMs` passes; parse the first final response (1xx skipped).
 */
export function exchange(port: number, bytes: Buffer, timeoutMs = 5000): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(parseFirstResponse(Buffer.concat(chunks)))
    })
    socket.write(bytes)
  })
}

function parseFirstResponse(data: Buffer): RawReply {
  let at = 0
  for (;;) {
    const end = data.indexOf('\r\n\r\n', at)
    if (end === -1) return { status: 0, headers: {}, body: Buffer.alloc(0), code: '', detail: '' }
    const lines = data.subarray(at, end).toString('latin1').split('\r\n')
    const status = Number(lines[0]!.split(' ')[1])
    if (status >= 100 && status < 200) {
      at = end + 4
      continue
    }
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).toLowerCase()
      const value = line.slice(colon + 1).trim()
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
    }
    const rest = data.subarray(end + 4)
    const body = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest.subarray(0, Number(headers['content-length'] ?? rest.length))
    let code = ''
    let detail = ''
    try {
      const problem = JSON.parse(body.toString('utf8')) as { code?: unknown; detail?: unknown }
      if (typeof problem.code === 'string') code = problem.code
      if (typeof problem.detail === 'string') detail = problem.detail
    } catch {
      // not a problem body
    }
    return { status, headers, body, code, detail }
  }
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = data.indexOf('\r\n', at)
    if (eol === -1) break
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!(size > 0)) break
    out.push(data.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
  return Buffer.concat(out)
}
