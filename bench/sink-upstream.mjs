// The streaming upstream of the upload and WebSocket rows: it consumes every request body and answers
// with the byte count it received ({"bytes":N}), so a scenario can check that the whole body went
// through the gateway; WebSocket upgrades are echoed message by message (`ws`, no compression).
// Plain .mjs (no tsx), pinned to the load core like bench/upstream.mjs.
// Usage: node bench/sink-upstream.mjs [port]   (prints {"port":N} on stdout)
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

function onRequest(req, res) {
  let bytes = 0
  req.on('data', (chunk) => {
    bytes += chunk.length
  })
  req.once('end', () => {
    const body = JSON.stringify({ bytes, service: 'bench-sink' }) + '\n'
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) })
    res.end(body)
  })
  req.once('error', () => res.destroy())
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, onRequest)
server.headersTimeout = 66_000
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 })
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }))
  ws.on('error', () => ws.terminate())
})
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy())
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
})
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n')
})
function stop() {
  for (const ws of wss.clients) ws.terminate()
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
