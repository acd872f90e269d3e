// A real upstream for gateway tests: echoes method, path, headers and body length/hash as JSON,
// counts hits, can answer slowly, records when body bytes start arriving, and echoes WebSocket
// messages (ws) while recording the upgrade request's headers.
import { createHash } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { WebSocketServer } from 'ws'

export interface EchoBody {
  method: string
  url: string
  headers: IncomingHttpHeaders
  rawHeaders: string[]
  bodyLength: number
  bodySha256: string
}

export class Upstream {
  readonly server: Server
  readonly wss: WebSocketServer
  hits = 0
  /** Responses whose connection closed before they were sent (the gateway aborted upstream). */
  aborted = 0
  wsUpgrades = 0
  /** When true, request bodies are not read until resumeBodies() (backpressure tests). */
  holdBodies = false
  readonly #held: IncomingMessage[] = []
  /** Delay before answering (after the body is read). */
  delayMs = 0
  /** Status the echo answers with. */
  status = 200
  /** performance.now() when the first body byte of the latest request arrived. */
  firstBodyByteAt = 0
  lastRequest: EchoBody | null = null
  lastUpgradeHeaders: IncomingHttpHeaders | null = null
  /** Called with each request as it arrives (before the body is read). */
  onRequest: ((req: IncomingMessage) => void) | null = null
  readonly #sockets = new Set<Socket>()
  url = ''
  port = 0

  constructor() {
    this.server = createServer((req, res) => this.#handle(req, res))
    this.server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.once('close', () => this.#sockets.delete(s))
    })
    this.wss = new WebSocketServer({ noServer: true })
    this.wss.on('connection', (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
    })
    this.server.on('upgrade', (req: IncomingMessage, socket, head) => {
      this.wsUpgrades++
      this.lastUpgradeHeaders = req.headers
      this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req))
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.port = (this.server.address() as AddressInfo).port
    this.url = `http://127.0.0.1:${this.port}`
    return this
  }

  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate()
    this.wss.close()
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  resumeBodies(): void {
    this.holdBodies = false
    for (const req of this.#held.splice(0)) req.resume()
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.hits++
    this.onRequest?.(req)
    res.once('close', () => {
      if (!res.writableFinished) this.aborted++
    })
    if (this.holdBodies) {
      req.pause()
      this.#held.push(req)
    }
    const hash = createHash('sha256')
    let length = 0
    let first = true
    req.on('data', (chunk: Buffer) => {
      if (first) {
        this.firstBodyByteAt = performance.now()
        first = false
      }
      length += chunk.length
      hash.update(chunk)
    })
    req.on('end', () => {
      const body: EchoBody = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        bodyLength: length,
        bodySha256: hash.digest('hex'),
      }
      this.lastRequest = body
      const send = (): void => {
        if (res.destroyed) return
        res.writeHead(this.status, { 'content-type': 'application/json', connection: 'x-upstream-private', 'x-upstream-private': 'secret' })
        res.end(JSON.stringify(body))
      }
      if (this.delayMs > 0) setTimeout(send, this.delayMs).unref()
      else send()
    })
  }
}
