// Issue 16 class 3: no inbound spelling of a gateway header reaches the upstream. CGI/WSGI servers
// read X_Ledgix_Tool and X-Ledgix-Tool as one name (HTTP_X_LEDGIX_TOOL), so every header whose name,
// lowercased with '_' as '-', is x-ledgix-* (or, from an untrusted peer, x-forwarded-* / forwarded)
// is dropped — on token routes, auth: none routes and WebSocket upgrades. Raw sockets, because
// undici and fetch normalise or refuse some of these names.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { rawRequest } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

const SPOOFS: readonly [string, string][] = [
  ['X-Ledgix-Agent-Id', 'evil-1'],
  ['X_Ledgix_Agent_Id', 'evil-2'],
  ['x-ledgix_agent-id', 'evil-3'],
  ['X_LEDGIX_TOOL', 'evil-4'],
  ['x_ledgix_tool', 'evil-5'],
  ['X-Ledgix_Decision', 'evil-6'],
  ['X_Ledgix_Request_Id', 'evil-7'],
  ['X-LEDGIX-Token-Id', 'evil-8'],
  ['x_ledgix_policy_id', 'evil-9'],
  ['X-Ledgix-Session_Id', 'evil-10'],
  ['X-Ledgix-Something-New', 'evil-11'],
  ['X_Forwarded_For', '6.6.6.6'],
  ['X-Forwarded_Host', 'evil.example'],
  ['x_forwarded_proto', 'https'],
  ['X-Forwarded-Port', '1'],
  ['X_Forwarded_Prefix', '/admin'],
  ['Forwarded', 'for=6.6.6.6;host=evil.example'],
]

function canonical(name: string): string {
  return name.toLowerCase().replaceAll('_', '-')
}

/** Every upstream header whose canonical name is one of the gateway's, with its value. */
function gatewayOwned(rawHeaders: readonly string[]): [string, string][] {
  const out: [string, string][] = []
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = canonical(rawHeaders[i]!)
    if (name.startsWith('x-ledgix-') || name.startsWith('x-forwarded-') || name === 'forwarded') out.push([rawHeaders[i]!, rawHeaders[i + 1]!])
  }
  return out
}

function assertNoSpoof(rawHeaders: readonly string[], label: string): void {
  const owned = gatewayOwned(rawHeaders)
  for (const [name, value] of owned) {
    assert.ok(!value.startsWith('evil') && value !== '6.6.6.6' && !value.includes('evil.example') && value !== '/admin' && value !== '1', `${label}: ${name}: ${value} came from the client`)
    assert.equal(name, name.toLowerCase(), `${label}: ${name} is not the gateway's spelling`)
    assert.ok(!name.includes('_'), `${label}: ${name} is an underscore spelling`)
  }
  const names = owned.map(([n]) => n)
  assert.equal(new Set(names).size, names.length, `${label}: a gateway header appears twice: ${names.join(', ')}`)
}

/** The gateway's headers come before every header the client sent. */
function assertOursFirst(rawHeaders: readonly string[], clientNames: readonly string[], label: string): void {
  let lastOurs = -1
  let firstClient = Infinity
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase()
    if (name.startsWith('x-ledgix-') || name.startsWith('x-forwarded-')) lastOurs = i
    else if (clientNames.includes(name) && i < firstClient) firstClient = i
  }
  assert.ok(lastOurs >= 0 && lastOurs < firstClient, `${label}: gateway headers not first: ${rawHeaders.filter((_, i) => i % 2 === 0).join(', ')}`)
}

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [
      testRoute('payments', up),
      testRoute('open', up, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [] }),
      testRoute('strip', up, { match: { host: null, pathPrefix: '/strip', methods: null }, auth: 'none', tools: [], stripHeaders: ['X-Internal-Secret'] }),
    ],
  })
})
after(() => h.close())

function head(path: string, extra: readonly string[]): string {
  return [`GET ${path} HTTP/1.1`, `Host: ${new URL(h.url).host}`, ...extra, ...SPOOFS.map(([n, v]) => `${n}: ${v}`), 'X-Client-Own: kept', 'Connection: close', ''].join('\n')
}

test('token route: no spelling of X-Ledgix-* or X-Forwarded-* from the client reaches the upstream; ours come first', async () => {
  const reply = await rawRequest(h.url, head('/v1/refunds', [`Authorization: Bearer ${mint(h.signer)}`]))
  assert.equal(reply.status, 200, reply.text)
  const raw = reply.json['rawHeaders'] as string[]
  assertNoSpoof(raw, 'token route')
  const headers = reply.json['headers'] as Record<string, string>
  assert.equal(headers['x-ledgix-agent-id'], 'agent-7')
  assert.equal(headers['x-ledgix-tool'], 'stripe_refund')
  assert.equal(headers['x-ledgix-decision'], 'approved')
  assert.equal(headers['x-forwarded-for'], '127.0.0.1')
  assert.equal(headers['x-client-own'], 'kept', 'ordinary client headers still pass')
  assertOursFirst(raw, ['x-client-own'], 'token route')
})

test('auth: none route: the same spellings are dropped and only the request id and X-Forwarded-* are ours', async () => {
  const hits = h.upstream.hits
  const reply = await rawRequest(h.url, head('/public/page', []))
  assert.equal(reply.status, 200, reply.text)
  assert.equal(h.upstream.hits, hits + 1)
  const raw = reply.json['rawHeaders'] as string[]
  assertNoSpoof(raw, 'auth: none')
  const owned = gatewayOwned(raw).map(([n]) => n).sort()
  assert.deepEqual(owned, ['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'x-ledgix-request-id'])
  assertOursFirst(raw, ['x-client-own'], 'auth: none')
})

test('a spoof named in Connection, and a strip_headers entry in either spelling, are dropped too', async () => {
  const reply = await rawRequest(
    h.url,
    ['GET /strip/x HTTP/1.1', `Host: ${new URL(h.url).host}`, 'X_Ledgix_Agent_Id: evil', 'X_Drop_Me: hop', 'X_Internal_Secret: s', 'Connection: x-ledgix-agent-id, X-Drop-Me, close', ''].join('\n'),
  )
  assert.equal(reply.status, 200, reply.text)
  const raw = (reply.json['rawHeaders'] as string[]).map((n) => n.toLowerCase())
  assert.ok(!raw.includes('x_ledgix_agent_id') && !raw.includes('x_drop_me') && !raw.includes('x_internal_secret'), raw.join(', '))
})

test('WebSocket upgrade: underscore and mixed spellings never reach the upstream', async () => {
  let upgradeRaw: string[] = []
  const capture = (req: IncomingMessage): void => {
    upgradeRaw = req.rawHeaders
  }
  h.upstream.server.prependListener('upgrade', capture)
  const headers: Record<string, string> = { authorization: `Bearer ${mint(h.signer)}`, 'x-client-own': 'kept' }
  for (const [name, value] of SPOOFS) headers[name] = value
  const ws = new WebSocket(h.url.replace('http://', 'ws://') + '/v1/stream', { headers })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)))
  })
  ws.close()
  h.upstream.server.off('upgrade', capture)
  assert.ok(upgradeRaw.length > 0)
  assertNoSpoof(upgradeRaw, 'upgrade')
  assert.equal(h.upstream.lastUpgradeHeaders?.['x-ledgix-agent-id'], 'agent-7')
  assert.equal(h.upstream.lastUpgradeHeaders?.['x-client-own'], 'kept')
  assertOursFirst(upgradeRaw, ['x-client-own'], 'upgrade')
})

test('from a trusted proxy, its X-Forwarded-For is appended to, but underscore spellings are still dropped', async (t) => {
  const trusted = await startHarness({ config: { gateway: { trustedProxies: ['127.0.0.0/8'] } } })
  t.after(() => trusted.close())
  const reply = await rawRequest(
    trusted.url,
    [
      'GET /v1/x HTTP/1.1',
      `Host: ${new URL(trusted.url).host}`,
      `Authorization: Bearer ${mint(trusted.signer)}`,
      'X-Forwarded-For: 203.0.113.9',
      'X_Forwarded_For: 6.6.6.6',
      'X_Ledgix_Agent_Id: evil',
      'Connection: close',
      '',
    ].join('\n'),
  )
  assert.equal(reply.status, 200, reply.text)
  const headers = reply.json['headers'] as Record<string, string>
  assert.equal(headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
  assertNoSpoof(reply.json['rawHeaders'] as string[], 'trusted peer')
})
