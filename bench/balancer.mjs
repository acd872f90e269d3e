// A tiny round-robin HTTP load balancer for the bench (the *-pg-2 rows when nginx is not installed):
// each request goes to the next backend over a keep-alive connection; bodies are streamed both ways.
// Usage: node bench/balancer.mjs <port> <backend-url> [<backend-url> …]   (loopback only)
import http from 'node:http'

const [portText, ...backends] = process.argv.slice(2)
if (portText === undefined || backends.length === 0) {
  process.stderr.write('usage: node bench/balancer.mjs <port> <backend-url> [<backend-url> …]\n')
  process.exit(2)
}
const targets = backends.map((b) => new URL(b))
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
let next = 0
const server = http.createServer((req, res) => {
  const t = targets[next]
  next = (next + 1) % targets.length
  const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers)
    r.pipe(res)
  })
  up.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
    res.end(`balancer: ${err.message}`)
  })
  req.pipe(up)
})
server.keepAliveTimeout = 65_000
server.listen(Number(portText), '127.0.0.1', () => process.stdout.write(`balancer listening on ${portText}\n`))
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0))
