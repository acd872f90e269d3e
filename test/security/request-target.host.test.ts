// Issue 16 class 4: one reading of the host. `Host: api.example.com.` (trailing dot), other case or
// a port must still match the host-bound token route instead of falling through to a host-less
// one; the same normalised host is X-Forwarded-Host. A repeated Host (node:http keeps the first
// and drops the rest) or one that is not a host → 400 host_invalid before any route.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { rawRequest } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'
import { normalizeAuthority } from '../../src/gateway/request-target.ts'
import type { HostReading } from '../../src/gateway/request-target.ts'

let h: Harness
before(async () => {
  h = await startHarness({
    routes: (up) => [
      testRoute('hosted', up, { match: { host: 'API.example.com.', pathPrefix: '/v1', methods: null }, tools: ['crm_lookup'] }),
      testRoute('hosted-v6', up, { match: { host: '[::1]', pathPrefix: '/v1', methods: null }, tools: ['crm_lookup'] }),
      testRoute('hosted-v4', up, { match: { host: '127.0.0.1', pathPrefix: '/v1', methods: null }, tools: ['crm_lookup'] }),
      // The fall-through a host miss would reach: no token needed.
      testRoute('open', up, { match: { host: null, pathPrefix: '/v1', methods: null }, auth: 'none', tools: [] }),
    ],
  })
})
after(() => h.close())

function get(hostLines: readonly string[], extra: readonly string[] = [], upgrade = false): ReturnType<typeof rawRequest> {
  const tail = upgrade
    ? ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==']
    : ['Connection: close']
  return rawRequest(h.url, ['GET /v1/customers HTTP/1.1', ...hostLines.map((v) => `Host: ${v}`), ...extra, ...tail, ''].join('\n'))
}

const SPELLINGS = ['api.example.com', 'api.example.com.', 'API.Example.COM.', 'API.Example.com.:8080', 'api.example.com:08080', 'api.example.com.:']

test('every spelling of the bound host matches the host-bound token route, never the host-less one', async () => {
  for (const host of SPELLINGS) {
    const refused = await get([host])
    assert.equal(refused.status, 401, `${host}: ${refused.text}`)
    assert.equal(refused.json['code'], 'token_missing', host)
    const upgrade = await get([host], [], true)
    assert.equal(upgrade.status, 401, `upgrade ${host}: ${upgrade.text}`)
  }
  assert.equal(h.upstream.hits, 0, 'the host-less auth: none route was never reached')
  assert.equal(h.upstream.wsUpgrades, 0)
})

test('IPv6 literals in any spelling match the route bound to their one form; so does the one IPv4 spelling', async () => {
  for (const host of ['[::1]', '[0:0::1]', '[0000::0001]:8080', '[0:0:0:0:0:0:0:1]', '127.0.0.1', '127.0.0.1.', '127.0.0.1:80']) {
    const reply = await get([host])
    assert.equal(reply.status, 401, `${host}: ${reply.text}`)
  }
  assert.equal(h.upstream.hits, 0)
})

test('HTTP/1.1 without Host → 400 host_invalid problem+json; HTTP/1.0 without Host takes host-less routes only', async () => {
  const hits = h.upstream.hits
  const missing = await rawRequest(h.url, ['GET /v1/customers HTTP/1.1', 'Connection: close', ''].join('\n'))
  assert.equal(missing.status, 400, missing.text)
  assert.equal(missing.headers['content-type'], 'application/problem+json')
  assert.equal(missing.json['code'], 'host_invalid')
  assert.equal(h.upstream.hits, hits)
  const old = await rawRequest(h.url, ['GET /v1/customers HTTP/1.0', ''].join('\n'))
  assert.equal(old.status, 200, old.text)
  assert.equal(h.upstream.hits, hits + 1)
})

test('CONNECT → 405 method_not_allowed problem+json, never a silent close or a tunnel', async () => {
  const hits = h.upstream.hits
  for (const target of ['api.example.com:443', '127.0.0.1:1', '/v1/customers']) {
    const reply = await rawRequest(h.url, [`CONNECT ${target} HTTP/1.1`, 'Host: api.example.com', ''].join('\n'))
    assert.equal(reply.status, 405, `${target}: ${reply.text}`)
    assert.equal(reply.headers['content-type'], 'application/problem+json')
    assert.equal(reply.json['code'], 'method_not_allowed')
  }
  assert.equal(h.upstream.hits, hits)
})

test('the default port is dropped from X-Forwarded-Host, another one kept', async () => {
  const token = (): string => `Authorization: Bearer ${mint(h.signer, { tool: 'crm_lookup' })}`
  const plain = await get(['API.Example.com.:80'], [token()])
  assert.equal(plain.status, 200, plain.text)
  assert.equal((plain.json['headers'] as Record<string, string>)['x-forwarded-host'], 'api.example.com')
  const tls = await get(['api.example.com:443'], [token()])
  assert.equal((tls.json['headers'] as Record<string, string>)['x-forwarded-host'], 'api.example.com:443', 'this listener is plain HTTP: 443 is not its default')
  const v6 = await get(['[0:0::1]:80'], [token()])
  assert.equal((v6.json['headers'] as Record<string, string>)['x-forwarded-host'], '[::1]')
})

test('X-Forwarded-Host carries the normalised host and port', async () => {
  const reply = await get(['API.Example.com.:08080'], [`Authorization: Bearer ${mint(h.signer, { tool: 'crm_lookup' })}`])
  assert.equal(reply.status, 200, reply.text)
  assert.equal((reply.json['headers'] as Record<string, string>)['x-forwarded-host'], 'api.example.com:8080')
})

test('repeated, empty-label, non-host or bad-port Host headers → 400 host_invalid, upstream not called', async () => {
  const hits = h.upstream.hits
  const cases: string[][] = [
    ['api.example.com', 'other.example'],
    ['other.example', 'api.example.com'],
    ['api.example.com..'],
    ['.api.example.com'],
    ['api..example.com'],
    ['evil@api.example.com'],
    ['api.example.com,other.example'],
    ['api.example.com:99999'],
    ['api.example.com:0'],
    ['api.example.com:80:80'],
    ['api.example.com:http'],
    ['[::1'],
    ['[::1]x'],
    ['[zz::1]'],
    ['api%2eexample.com'],
    // IPv4 in a form URL parsers and inet_aton() read as 127.0.0.1 but a host-bound route does not.
    ['127.1'],
    ['0x7f.0.0.1'],
    ['2130706433'],
    ['127.000.0.1'],
    ['127.0.0.01'],
    ['0177.0.0.1'],
    ['127.0.0.1.0'],
    ['1.2.3.256'],
    ['api.0x10'],
    ['[1::2::3]'],
  ]
  for (const hosts of cases) {
    const reply = await get(hosts)
    assert.equal(reply.status, 400, `${hosts.join(' + ')}: ${reply.text}`)
    assert.equal(reply.json['code'], 'host_invalid', hosts.join(' + '))
    const upgrade = await get(hosts, [], true)
    assert.equal(upgrade.status, 400, `upgrade ${hosts.join(' + ')}`)
  }
  assert.equal(h.upstream.hits, hits)
  assert.equal(h.upstream.wsUpgrades, 0)
})

test('normalizeAuthority: IPv6 literals, ports and names in one form', () => {
  const read = (value: string): HostReading => {
    const out: HostReading = { host: null, authority: null, hostValid: true }
    normalizeAuthority(value, out)
    return out
  }
  assert.deepEqual(read('[::1]:8080'), { host: '[::1]', authority: '[::1]:8080', hostValid: true })
  assert.deepEqual(read('[FE80::1]'), { host: '[fe80::1]', authority: '[fe80::1]', hostValid: true })
  assert.deepEqual(read('[0:0::FFFF:127.0.0.1]:443'), { host: '[::ffff:7f00:1]', authority: '[::ffff:7f00:1]:443', hostValid: true })
  assert.deepEqual(read('127.0.0.1:80'), { host: '127.0.0.1', authority: '127.0.0.1:80', hostValid: true })
  assert.deepEqual(read('Svc_Name.internal.'), { host: 'svc_name.internal', authority: 'svc_name.internal', hostValid: true })
  assert.equal(read('').hostValid, false)
  assert.equal(read('.').hostValid, false)
  assert.equal(read(':80').hostValid, false)
})
