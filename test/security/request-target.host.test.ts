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
  assert.deepEqual(read('127.0.0.1:80'), { host: '127.0.0.1', authority: '127.0.0.1:80', hostValid: true })
  assert.deepEqual(read('Svc_Name.internal.'), { host: 'svc_name.internal', authority: 'svc_name.internal', hostValid: true })
  assert.equal(read('').hostValid, false)
  assert.equal(read('.').hostValid, false)
  assert.equal(read(':80').hostValid, false)
})
