// The benchmark upstream: a minimal node:http server answering every request with one small fixed
// body, so each scenario measures the proxy in front of it, not the origin. Plain .mjs (no tsx) to
// keep its own cost and start-up as low as possible.
// Usage: node bench/upstream.mjs [port]   (port 0 or absent: ephemeral; prints {"port":N} on stdout)
import { createServer } from 'node:http'

const BODY = Buffer.from('{"ok":true,"service":"bench-upstream"}\n')
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) }

function onRequest(req, res) {
  // Drain any request body before answering so keep-alive connections stay reusable.
  if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) {
    req.resume()
    req.once('end', () => reply(res))
    return
  }
  reply(res)
}

function reply(res) {
  res.writeHead(200, HEADERS)
  res.end(BODY)
}

const server = createServer({ keepAliveTimeout: 65_000 }, onRequest)
// Proxies keep idle sockets for ~4 s; a longer server timeout means a pooled socket is never closed
// under the proxy's feet mid-benchmark.
server.headersTimeout = 66_000
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
process.on('SIGINT', () => server.close(() => process.exit(0)))
