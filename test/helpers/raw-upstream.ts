// An upstream that records the exact bytes of every request head (and chunked trailers) on a raw
// node:net server, so tests see header names, order, case and duplicates as sent — node:http and
// undici would normalise or refuse some of them. Answers 200 with a tiny body, keep-alive; upgrade
// requests are answered 101 and then held open until the test closes them.
import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'

export interface RawRequest {
  /** The request line as received. */
  line: string
  /** [name, value] in order, exactly as sent (name bytes untouched, value trimmed of OWS). */
  headers: [string, string][]
  /** Trailer fields of a chunked body, in order. */
  trailers: [string, string][]
  body: Buffer
  /** The head bytes (latin1) up to and including the blank line. */
  rawHead: string
}

export class RawUpstream {
  readonly server: Server
  readonly requests: RawRequest[] = []
  readonly #sockets = new Set<Socket>()
  url = ''

  constructor() {
    this.server = createServer((socket) => this.#serve(socket))
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  get last(): RawRequest {
    const last = this.requests.at(-1)
    if (last === undefined) throw new Error('the upstream received no request')
    return last
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket)
    socket.once('close', () => this.#sockets.delete(socket))
    socket.on('error', () => {})
    let buffer = Buffer.alloc(0)
    let upgraded = false
    socket.on('data', (chunk: Buffer) => {
      if (upgraded) return
      buffer = Buffer.concat([buffer, chunk])
      for (;;) {
        const parsed = parseOne(buffer)
        if (parsed === null) return
        buffer = buffer.subarray(parsed.consumed)
        this.requests.push(parsed.request)
        const isUpgrade = parsed.request.headers.some(([n, v]) => n.toLowerCase() === 'upgrade' && v.toLowerCase() === 'websocket')
        if (isUpgrade) {
          upgraded = true
          socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n')
          return
        }
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok')
      }
    })
  }
}

function splitField(line: string): [string, string] {
  const colon = line.indexOf(':')
  return [line.slice(0, colon), line.slice(colon + 1).trim()]
}

/** One complete request from the front of `buffer`, or null when more bytes are needed. */
function parseOne(buffer: Buffer): { request: RawRequest; consumed: number } | null {
  const end = buffer.indexOf('\r\n\r\n')
  if (end === -1) return null
  const rawHead = buffer.subarray(0, end + 4).toString('latin1')
  const lines = rawHead.slice(0, -4).split('\r\n')
  const headers = lines.slice(1).map(splitField)
  let at = end + 4
  const te = headers.find(([n]) => n.toLowerCase() === 'transfer-encoding')?.[1].toLowerCase()
  const cl = headers.find(([n]) => n.toLowerCase() === 'content-length')?.[1]
  const trailers: [string, string][] = []
  let body: Buffer = Buffer.alloc(0)
  if (te !== undefined && te.includes('chunked')) {
    const parts: Buffer[] = []
    for (;;) {
      const eol = buffer.indexOf('\r\n', at)
      if (eol === -1) return null
      const size = parseInt(buffer.subarray(at, eol).toString('latin1'), 16)
      at = eol + 2
      if (size === 0) {
        for (;;) {
          const tEol = buffer.indexOf('\r\n', at)
          if (tEol === -1) return null
          const line = buffer.subarray(at, tEol).toString('latin1')
          at = tEol + 2
          if (line === '') break
          trailers.push(splitField(line))
        }
        break
      }
      if (buffer.length < at + size + 2) return null
      parts.push(buffer.subarray(at, at + size))
      at += size + 2
    }
    body = Buffer.concat(parts)
  } else if (cl !== undefined) {
    const length = Number(cl)
    if (buffer.length < at + length) return null
    body = buffer.subarray(at, at + length)
    at += length
  }
  return { request: { line: lines[0]!, headers, trailers, body: Buffer.from(body), rawHead }, consumed: at }
}
