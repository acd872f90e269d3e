// Bounded body buffering, used only by bind_args routes (every other route streams). Stops reading
// at max_body and answers 413 instead of growing without bound.
import type { IncomingMessage } from 'node:http'

export type BodyResult = { ok: true; body: Buffer } | { ok: false; code: 'body_too_large'; detail: string }

class BodyReader {
  readonly req: IncomingMessage
  readonly maxBytes: number
  readonly chunks: Buffer[]
  length: number
  resolve: (result: BodyResult) => void
  reject: (err: Error) => void

  constructor(req: IncomingMessage, maxBytes: number, resolve: (r: BodyResult) => void, reject: (e: Error) => void) {
    this.req = req
    this.maxBytes = maxBytes
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

export function readBoundedBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > maxBytes) {
    return Promise.resolve({ ok: false, code: 'body_too_large', detail: TOO_LARGE_DECLARED })
  }
  return new Promise<BodyResult>((resolve, reject) => {
    const reader = new BodyReader(req, maxBytes, resolve, reject)
    ;(req as ReadingRequest)[kReader] = reader
    req.on('data', onData)
    req.once('end', onEnd)
    req.once('error', onError)
    req.once('close', onClose)
  })
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
  if (reader.length > reader.maxBytes) {
    detach(this)
    // Stop reading; the 413 goes out with Connection: close so the rest is never consumed.
    this.pause()
    reader.resolve({ ok: false, code: 'body_too_large', detail: TOO_LARGE_STREAMED })
    return
  }
  reader.chunks.push(chunk)
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
