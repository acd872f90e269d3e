// The client of the upload and WebSocket rows, run as a child pinned to the load core so that the
// harness can sample the gateway's RSS while it streams. Prints one line "STREAMJSON {...}".
//   node bench/stream-client.mjs upload <url> <bytes> <bearer-token>
//     POST <bytes> (Content-Length, a 64 KiB buffer written repeatedly with backpressure); the sink
//     answers {"bytes":N}, which must equal <bytes>.
//   node bench/stream-client.mjs ws <ws-url> <bytes> <max-seconds> <bearer-token>
//     binary 64 KiB messages, at most 16 in flight, until <bytes> were echoed back or <max-seconds>
//     passed; every echo must carry the sequence number and length that was sent.
// Bounded: a hard timer ends the process (exit 3) if the stream stalls.
import { request } from 'node:http'
import { randomFillSync } from 'node:crypto'
import WebSocket from 'ws'

const CHUNK = 64 * 1024
const WINDOW = 16
const [mode, url, bytesText, ...rest] = process.argv.slice(2)
const total = Number(bytesText)
if ((mode !== 'upload' && mode !== 'ws') || url === undefined || !(total > 0)) {
  process.stderr.write('usage: stream-client.mjs upload <url> <bytes> <token> | ws <ws-url> <bytes> <max-seconds> <token>\n')
  process.exit(2)
}
const HARD_LIMIT_MS = 300_000
const hard = setTimeout(() => {
  process.stderr.write(`stream-client: no end after ${HARD_LIMIT_MS} ms\n`)
  process.exit(3)
}, HARD_LIMIT_MS)
hard.unref()

function report(result) {
  process.stdout.write(`STREAMJSON ${JSON.stringify(result)}\n`)
  process.exit(result.ok ? 0 : 1)
}

function upload(token) {
  const chunk = randomFillSync(Buffer.allocUnsafe(CHUNK))
  const started = performance.now()
  const req = request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': String(total) },
  })
  let sent = 0
  let response = null
  req.on('response', (res) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (d) => {
      text += d
    })
    res.on('end', () => {
      const seconds = (performance.now() - started) / 1000
      let received = null
      try {
        received = JSON.parse(text).bytes ?? null
      } catch {
        // not the sink's answer
      }
      response = { status: res.statusCode, received }
      const ok = res.statusCode === 200 && received === total && sent === total
      report({ ok, mode, bytes: total, sent, received, status: res.statusCode, seconds, body: ok ? undefined : text.slice(0, 300) })
    })
  })
  req.on('error', (err) => report({ ok: false, mode, bytes: total, sent, error: err.message, response }))
  function pump() {
    while (sent < total) {
      const n = Math.min(CHUNK, total - sent)
      sent += n
      if (!req.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
        req.once('drain', pump)
        return
      }
    }
    req.end()
  }
  pump()
}

function websocket(maxSeconds, token) {
  const payload = randomFillSync(Buffer.allocUnsafe(CHUNK))
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` }, perMessageDeflate: false, maxPayload: 16 * 1024 * 1024 })
  let sentSeq = 0
  let echoedSeq = 0
  let echoedBytes = 0
  let started = 0
  let deadline = 0
  let done = false
  let upgradeStatus = null
  function finish(ok, why) {
    if (done) return
    done = true
    const seconds = (performance.now() - started) / 1000
    report({ ok, mode, bytes: total, echoedBytes, messages: echoedSeq, seconds, why })
    ws.terminate()
  }
  function send() {
    while (sentSeq - echoedSeq < WINDOW && (sentSeq + 1) * CHUNK <= total && performance.now() < deadline) {
      payload.writeUInt32BE(sentSeq, 0)
      sentSeq++
      ws.send(payload, { binary: true })
    }
    if (sentSeq === echoedSeq) finish(true, echoedBytes >= total ? 'bytes' : 'time')
  }
  ws.on('unexpected-response', (_req, res) => {
    upgradeStatus = res.statusCode
    finish(false, `upgrade refused: ${res.statusCode}`)
  })
  ws.on('open', () => {
    started = performance.now()
    deadline = started + maxSeconds * 1000
    send()
  })
  ws.on('message', (data) => {
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data)
    if (buf.length !== CHUNK || buf.readUInt32BE(0) !== echoedSeq || buf[CHUNK - 1] !== payload[CHUNK - 1]) {
      finish(false, `echo ${echoedSeq}: wrong length/sequence/content`)
      return
    }
    echoedSeq++
    echoedBytes += buf.length
    send()
  })
  ws.on('error', (err) => finish(false, `error: ${err.message}${upgradeStatus === null ? '' : ` (${upgradeStatus})`}`))
  ws.on('close', (code) => finish(false, `closed by peer (${code}) after ${echoedSeq} echoes`))
}

if (mode === 'upload') upload(rest[0] ?? '')
else websocket(Number(rest[0] ?? 60), rest[1] ?? '')
