// Issue 16 (availability): the listener limits in the YAML reach all three listeners of a real
// `serve` process (all-in-one), and /metrics exports what they did.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { send } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'
import { closesWithin, openSocket } from '../helpers/slow-socket.ts'

const LIMITS = `  headers_timeout: 300ms
  request_timeout: 1s
  max_connections: 50
`

test('serve (all-in-one): gateway, Vault and admin each cut a half-sent header block within the configured bound', async (t) => {
  const proc = await spawnServe(`mode: all-in-one
gateway:
  listen: { host: 127.0.0.1, port: 0 }
${LIMITS}admin:
  listen: { host: 127.0.0.1, port: 0 }
${LIMITS}vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: DATA
${LIMITS}routes: []
`.replace('DATA', join('.', 'data')))
  t.after(() => proc.stop())
  const ports = [proc.gatewayUrl, proc.vaultUrl, proc.adminUrl].map((u) => Number(new URL(u).port))
  const sockets = await Promise.all(ports.map((port) => openSocket(port, { send: 'GET /healthz HTTP/1.1\r\nHost: x\r\n' })))
  // 300 ms + the 250 ms sweep + slack for a loaded machine; the defaults would hold them 10 s.
  const cut = await Promise.all(sockets.map((s) => closesWithin(s, 300 + 250 + 1500)))
  assert.deepEqual(cut, [true, true, true])
  for (const s of sockets) assert.match((await s.closed).data, /^HTTP\/1\.1 408 /)
  const text = (await send(`${proc.adminUrl}/metrics`)).text
  for (const listener of ['gateway', 'vault', 'admin']) {
    assert.match(text, new RegExp(`ledgix_listener_timeouts_total\\{listener="${listener}",kind="request"\\} 1`), listener)
  }
})
