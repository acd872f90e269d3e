// The "bare Node proxy" floor: node:http in, one undici Pool out via dispatch() with a small handler
// class (the fastest undici API), hop-by-hop headers dropped and nothing else — no routing, auth,
// logging or metrics. The passthrough route must reach at least this (issue 7 target 1.0×).
// Usage: node --import tsx bench/bare-proxy.ts <port> <upstream-origin>
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import { Pool } from 'undici'
import type { Dispatcher } from 'undici'

// RFC 9110 §7.6.1 hop-by-hop fields; a proxy must not forward them.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host'])

const port = Number(process.argv[2] ?? 0)
if (process.argv[3] === undefined) {
  process.stderr.write('usage: bare-proxy.ts <port> <upstream-origin>\n')
  process.exit(2)
}
const upstream: string = process.argv[3]
// Same socket budget as a gateway route's default (`upstream.connections: 128`), same idle timeout.
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 4_000 })

class Handler implements Dispatcher.DispatchHandler {
  readonly res: ServerResponse
  constructor(res: ServerResponse) {
    this.res = res
  }
  // undici 7 recognises the new handler API (onResponseStart/Data/End/Error) by this method.
  onRequestStart(): void {}
  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    if (statusCode < 200) return
    const res = this.res
    res.statusCode = statusCode
    for (const name in headers) if (!HOP_BY_HOP.has(name)) res.setHeader(name, headers[name]!)
  }
  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) controller.pause()
  }
  onResponseEnd(): void {
    this.res.end()
  }
  onResponseError(_c: Dispatcher.DispatchController, _err: Error): void {
    if (this.res.headersSent) {
      this.res.destroy()
      return
    }
    this.res.statusCode = 502
    this.res.end()
  }
}

function requestHeaders(req: IncomingMessage): string[] {
  const raw = req.rawHeaders
  const out: string[] = []
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!)
  }
  return out
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined
  pool.dispatch(
    { origin: upstream, method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: requestHeaders(req), body: hasBody ? req : null },
    new Handler(res),
  )
}

const server = createServer({ keepAliveTimeout: 65_000 }, onRequest)
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : port }) + '\n')
})

function shutdown(): void {
  server.close()
  server.closeAllConnections()
  void pool.close().finally(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
