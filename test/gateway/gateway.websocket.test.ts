import { test } from 'node:test'
import assert from 'node:assert/strict'
import WebSocket from 'ws'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import { mint } from '../helpers/tokens.ts'

function wsUrl(httpUrl: string, path: string): string {
  return httpUrl.replace('http://', 'ws://') + path
}

/** Open a socket; resolve with it once open, or with the refusal's status and body. */
function connect(url: string, headers: Record<string, string>): Promise<{ ws: WebSocket | null; status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws, status: 101, body: '' }))
    ws.once('unexpected-response', (_req, res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString('utf8')))
      res.on('end', () => resolve({ ws: null, status: res.statusCode ?? 0, body }))
    })
    ws.once('error', reject)
  })
}

test('authorized upgrade → echoed through the tunnel, identity headers injected, token burned', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const token = mint(h.signer)
  const { ws, status } = await connect(wsUrl(h.url, '/v1/stream'), { authorization: `Bearer ${token}`, 'x-ledgix-agent-id': 'evil' })
  assert.equal(status, 101)
  const echoed = await new Promise<string>((resolve) => {
    ws!.once('message', (data) => resolve(data.toString()))
    ws!.send('hello through the gateway')
  })
  assert.equal(echoed, 'hello through the gateway')
  assert.equal(h.upstream.lastUpgradeHeaders?.['x-ledgix-agent-id'], 'agent-7')
  assert.equal(h.upstream.lastUpgradeHeaders?.['authorization'], undefined)
  assert.equal(h.vault.burned.size, 1)
  ws!.close()
  // The same token cannot open a second tunnel.
  const again = await connect(wsUrl(h.url, '/v1/stream'), { authorization: `Bearer ${token}` })
  assert.equal(again.status, 409)
  assert.equal(h.upstream.wsUpgrades, 1)
  // One access line per upgrade, written when the tunnel (or the refusal) closes.
  for (let i = 0; i < 100 && h.sink.accessLines().length < 2; i++) await new Promise((r) => setTimeout(r, 10))
  const lines = h.sink.accessLines()
  // Either may close first: the refusal closes at once, the tunnel after the close handshake.
  assert.deepEqual(lines.map((l) => `${l['status']} ${l['code']}`).sort(), ['101 ok', '409 token_replayed'])
  assert.ok(!h.sink.raw.join('\n').includes(token.split('.')[2]!), 'no token text in the log')
})

test('unauthorized upgrade → 401 problem on the socket, upstream never sees it', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const refused = await connect(wsUrl(h.url, '/v1/stream'), {})
  assert.equal(refused.status, 401)
  assert.equal((JSON.parse(refused.body) as { code: string }).code, 'token_missing')
  const forged = await connect(wsUrl(h.url, '/v1/stream'), { authorization: 'Bearer a.b.c' })
  assert.equal(forged.status, 401)
  assert.equal(h.upstream.wsUpgrades, 0)
})

test('route with websocket: false refuses upgrades even with a valid token, without burning it', async (t) => {
  const h = await startHarness({ routes: (up) => [testRoute('plain', up, { websocket: false })] })
  t.after(() => h.close())
  const refused = await connect(wsUrl(h.url, '/v1/stream'), { authorization: `Bearer ${mint(h.signer)}` })
  assert.equal(refused.status, 404)
  assert.equal(h.upstream.wsUpgrades, 0)
  assert.equal(h.vault.consumeCalls, 0)
})
