// Issue 16 class 3, seen as bytes: an upstream on a raw socket records every header line the gateway
// sends, so no spelling can hide behind node:http's parsing. Any name that an upstream may read as a
// gateway header — any case, and '_', '.', '~', '+', … where '-' stands (PHP maps '.' to '_', CGI
// '-' to '_') — is dropped on token routes, auth: none routes and upgrades; headers that re-route
// the request upstream (X-Original-URL, method overrides) are dropped from every peer; client-address
// claims (X-Real-IP, True-Client-IP, …) only pass from a trusted proxy; chunked trailers never reach
// the upstream.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import fc from 'fast-check'
import { IDENTITY_HEADER_NAMES } from '../../src/gateway/identity-headers.ts'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { RawUpstream } from '../helpers/raw-upstream.ts'
import type { RawRequest } from '../helpers/raw-upstream.ts'
import { mint } from '../helpers/tokens.ts'

/** Every name the gateway sends or may send in future, as the gateway spells it. */
const OURS = ['x-ledgix-request-id', ...IDENTITY_HEADER_NAMES, 'x-ledgix-tenant-id', 'x-ledgix-future-claim']
/** Headers that IIS, Symfony/Zend and method-override middleware read as the path or method. */
const ROUTING_OVERRIDES = ['x-original-url', 'x-rewrite-url', 'x-original-uri', 'x-http-method-override', 'x-http-method', 'x-method-override']
/** Client-address and original-host claims only a trusted proxy may make. */
const PEER_CLAIMS = ['x-real-ip', 'x-client-ip', 'client-ip', 'true-client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'x-original-forwarded-for', 'x-forwarded', 'x-original-host', 'x-host']
/** Token characters other than letters, digits and '-' (RFC 9110 tchar). */
const SEPARATORS = ['_', '.', '~', '+', '!', '#', '$', '&', "'", '*', '^', '`', '|', '%']

let up: RawUpstream
let h: Harness
let trusted: Harness
before(async () => {
  up = await new RawUpstream().start()
  const routes = (): ReturnType<typeof testRoute>[] => [
    testRoute('payments', up.url),
    testRoute('open', up.url, { match: { host: null, pathPrefix: '/public', methods: null }, auth: 'none', tools: [] }),
  ]
  h = await startHarness({ routes })
  trusted = await startHarness({ routes, config: { gateway: { trustedProxies: ['127.0.0.0/8'] } } })
})
after(async () => {
  await h.close()
  await trusted.close()
  await up.close()
})

/** Send raw bytes, resolve with the status line once the server answers (or closes). */
function exchange(url: string, head: string, body: string): Promise<string> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      if (text.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(text.slice(0, text.indexOf('\r\n')))
      }
    })
    socket.on('error', reject)
    socket.on('close', () => resolve(text.slice(0, text.indexOf('\r\n'))))
    socket.write(Buffer.from(head.replace(/\n/g, '\r\n') + body, 'latin1'))
  })
}

async function forwarded(url: string, head: string, body = ''): Promise<RawRequest> {
  const before = up.requests.length
  const status = await exchange(url, head, body)
  assert.match(status, /^HTTP\/1\.1 (200|101)/, status)
  assert.equal(up.requests.length, before + 1, 'the upstream got the request')
  return up.last
}

function canonical(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '-')
}

/** Names in the upstream's request whose canonical form is `name`, with their values. */
function fieldsNamed(request: RawRequest, name: string): [string, string][] {
  return request.headers.filter(([n]) => canonical(n) === name)
}

/** A spelling of `name`: random case, each '-' replaced by '-' or any other token separator. */
const spelling = (name: string): fc.Arbitrary<string> =>
  fc.tuple(fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }), fc.array(fc.constantFrom('-', ...SEPARATORS), { minLength: name.length, maxLength: name.length })).map(([upper, seps]) =>
    [...name].map((c, i) => (c === '-' ? seps[i]! : upper[i]! ? c.toUpperCase() : c)).join(''),
  )

const host = (): string => new URL(h.url).host

test('property: no spelling of any X-Ledgix-* name reaches the upstream, on token and auth: none routes; ours come first, once each', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...OURS).chain((n) => spelling(n).map((s) => [n, s] as const)), fc.boolean(), async ([name, spelled], withToken) => {
      const lines = [withToken ? 'GET /v1/x HTTP/1.1' : 'GET /public/x HTTP/1.1', `Host: ${host()}`, `${spelled}: evil`, 'X-Client: kept']
      if (withToken) lines.push(`Authorization: Bearer ${mint(h.signer)}`)
      const request = await forwarded(h.url, [...lines, 'Connection: close', '', ''].join('\n'))
      for (const [n, v] of fieldsNamed(request, name)) {
        assert.notEqual(v, 'evil', `${spelled} reached the upstream as ${n}`)
        assert.equal(n, name, `only the gateway's spelling: ${n}`)
      }
      assert.ok(request.headers.every(([, v]) => v !== 'evil'), `${spelled}: ${request.rawHead}`)
      const ours = request.headers.filter(([n]) => n.startsWith('x-ledgix-'))
      assert.equal(new Set(ours.map(([n]) => n)).size, ours.length, 'one of each')
      assert.equal(ours.length, withToken ? 7 : 1)
      const firstClient = request.headers.findIndex(([n]) => n === 'X-Client')
      const lastOurs = request.headers.findLastIndex(([n]) => n.startsWith('x-ledgix-') || n.startsWith('x-forwarded-'))
      assert.ok(lastOurs < firstClient, request.rawHead)
    }),
    { numRuns: 150 },
  )
})

test('WebSocket upgrade: dotted, tilde and underscore spellings are dropped too', async () => {
  const spoofs = ['X-Ledgix.Agent.Id: evil', 'x~ledgix~tool: evil', 'X_LEDGIX_DECISION: evil', 'X-Ledgix+Token+Id: evil', 'X-Original-URL: /admin', 'X-Real-IP: 6.6.6.6']
  const request = await forwarded(
    h.url,
    [`GET /v1/stream HTTP/1.1`, `Host: ${host()}`, `Authorization: Bearer ${mint(h.signer)}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...spoofs, '', ''].join('\n'),
  )
  assert.ok(request.headers.every(([, v]) => v !== 'evil' && v !== '/admin' && v !== '6.6.6.6'), request.rawHead)
  assert.deepEqual(fieldsNamed(request, 'x-ledgix-agent-id'), [['x-ledgix-agent-id', 'agent-7']])
})

test('X-Original-URL, X-Rewrite-URL and method overrides are dropped in any spelling, from untrusted and trusted peers alike', async () => {
  for (const gateway of [h, trusted]) {
    const spoofs = ROUTING_OVERRIDES.flatMap((name) => [`${name}: /admin`, `${name.toUpperCase().replaceAll('-', '_')}: /admin`])
    const request = await forwarded(gateway.url, ['GET /public/x HTTP/1.1', `Host: ${new URL(gateway.url).host}`, ...spoofs, 'Connection: close', '', ''].join('\n'))
    for (const name of ROUTING_OVERRIDES) assert.deepEqual(fieldsNamed(request, name), [], `${name}: ${request.rawHead}`)
  }
})

test('client-address claims (X-Real-IP, True-Client-IP, CF-Connecting-IP, …) pass only from a trusted proxy', async () => {
  const spoofs = PEER_CLAIMS.map((name) => `${name}: 6.6.6.6`)
  const untrusted = await forwarded(h.url, ['GET /public/x HTTP/1.1', `Host: ${host()}`, ...spoofs, 'X_Real_IP: 6.6.6.6', 'Connection: close', '', ''].join('\n'))
  for (const name of PEER_CLAIMS) assert.deepEqual(fieldsNamed(untrusted, name), [], `${name} from an untrusted peer: ${untrusted.rawHead}`)
  const fromProxy = await forwarded(trusted.url, ['GET /public/x HTTP/1.1', `Host: ${new URL(trusted.url).host}`, 'X-Real-IP: 203.0.113.9', 'Connection: close', '', ''].join('\n'))
  assert.deepEqual(fieldsNamed(fromProxy, 'x-real-ip'), [['X-Real-IP', '203.0.113.9']])
})

test('chunked trailers named like ours never reach the upstream (token and auth: none)', async () => {
  for (const [path, auth] of [['/public/x', []], ['/v1/x', [`Authorization: Bearer ${mint(h.signer)}`]]] as const) {
    const head = [`POST ${path} HTTP/1.1`, `Host: ${host()}`, ...auth, 'Transfer-Encoding: chunked', 'Trailer: X-Ledgix-Agent-Id', 'Connection: close', '', ''].join('\n')
    const request = await forwarded(h.url, head, '3\r\nabc\r\n0\r\nX-Ledgix-Agent-Id: evil\r\nX_Ledgix_Tool: evil\r\n\r\n')
    assert.deepEqual(request.trailers, [], `trailers forwarded: ${JSON.stringify(request.trailers)}`)
    assert.ok(request.headers.every(([, v]) => v !== 'evil'), request.rawHead)
    assert.equal(request.body.toString(), 'abc')
  }
})

test('HTTP/1.0 requests get the same header policy', async () => {
  const request = await forwarded(h.url, ['GET /v1/x HTTP/1.0', `Host: ${host()}`, `Authorization: Bearer ${mint(h.signer)}`, 'X_Ledgix_Agent_Id: evil', 'X-Ledgix.Tool: evil', '', ''].join('\n'))
  assert.deepEqual(fieldsNamed(request, 'x-ledgix-agent-id'), [['x-ledgix-agent-id', 'agent-7']])
  assert.deepEqual(fieldsNamed(request, 'x-ledgix-tool'), [['x-ledgix-tool', 'stripe_refund']])
})
