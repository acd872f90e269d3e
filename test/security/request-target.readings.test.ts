// Issue 16 class 4, the prefix match itself: a path that our segment-boundary, case-sensitive match
// gives to an auth: none route but a common upstream serves from a protected route's handler —
// letters in another case (Express and ASP.NET Core route case-insensitively, IIS serves files that
// way) or a final '.ext' (Rails' optional '(.:format)', Spring's suffix pattern) — is refused with
// 400 path_not_canonical (route_ambiguous), on plain requests and upgrades, upstream untouched. Paths
// with only one reading keep working.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import fc from 'fast-check'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { RawUpstream } from '../helpers/raw-upstream.ts'

let up: RawUpstream
let h: Harness
before(async () => {
  up = await new RawUpstream().start()
  h = await startHarness({
    routes: () => [
      testRoute('admin', up.url, { match: { host: null, pathPrefix: '/admin', methods: null } }),
      testRoute('billing', up.url, { match: { host: null, pathPrefix: '/api/Billing', methods: null } }),
      testRoute('open', up.url, { match: { host: null, pathPrefix: '/', methods: null }, auth: 'none', tools: [] }),
    ],
  })
})
after(async () => {
  await h.close()
  await up.close()
})

/** Status and problem code of one raw request; `upgrade` sends a WebSocket handshake. */
function ask(path: string, upgrade = false): Promise<{ status: number; code: string | null; body: string }> {
  const target = new URL(h.url)
  const extra = upgrade ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : 'Connection: close\r\n'
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      if (upgrade && text.startsWith('HTTP/1.1 101')) socket.destroy()
    })
    socket.on('error', reject)
    socket.on('close', () => {
      const body = text.slice(text.indexOf('\r\n\r\n') + 4)
      resolve({ status: Number(text.split(' ')[1]), code: /"code":"([a-z_]+)"/.exec(body)?.[1] ?? null, body })
    })
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\n${extra}\r\n`)
  })
}

/** `text` with each letter's case chosen by `flips` (true = toggled). */
function recase(text: string, flips: readonly boolean[]): string {
  return [...text].map((c, i) => (flips[i % flips.length] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('')
}

test('the protected prefix in another case, or with a format suffix, never reaches the upstream without a token', async () => {
  for (const path of ['/ADMIN', '/Admin/users', '/aDmIn/x', '/admin.json', '/ADMIN.JSON', '/Admin.xml', '/API/billing/x', '/api/billing.json', '/api/billing', '/api/Billing.csv', '/admin::$DATA', '/admin::$INDEX_ALLOCATION/x', '/admin%3A%3A$DATA', '/admin%3a:$DATA', '/api/Billing:batchGet']) {
    for (const upgrade of [false, true]) {
      const hits = up.requests.length
      const reply = await ask(path, upgrade)
      assert.equal(reply.status, 400, `${path}${upgrade ? ' (upgrade)' : ''}: ${reply.status} ${reply.body}`)
      assert.equal(reply.code, 'path_not_canonical')
      assert.match(reply.body, /route_ambiguous/)
      assert.equal(up.requests.length, hits, `${path}: the upstream was called`)
    }
  }
})

test('property: any casing of a protected prefix, with any tail, is either the token route or refused', async () => {
  const tails = fc.constantFrom('', '/', '/x', '/users/1', '.json', '.JSON', '.html', '/x.json', '-x', 'x')
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('/admin', '/api/Billing'), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), tails, async (prefix, flips, tail) => {
      const path = recase(prefix, flips) + tail
      const hits = up.requests.length
      const reply = await ask(path)
      // A reading under the protected prefix: exact → 401 (token route), otherwise 400 ambiguous.
      const lower = path.toLowerCase()
      const p = prefix.toLowerCase()
      const underProtected = lower === p || lower.startsWith(p + '/') || (lower.startsWith(p + '.') && !lower.slice(p.length).includes('/'))
      if (underProtected) {
        assert.ok(reply.status === 401 || (reply.status === 400 && reply.code === 'path_not_canonical'), `${path}: ${reply.status} ${reply.body}`)
        assert.equal(up.requests.length, hits, `${path} reached the upstream without a token`)
      } else {
        assert.equal(reply.status, 200, `${path} has one reading and passes: ${reply.body}`)
      }
    }),
    { numRuns: 120 },
  )
})

test('paths with one reading still pass: other prefixes, dots deeper down, lowercase under a public prefix', async () => {
  for (const path of ['/admin-x', '/administrator', '/adminx.json', '/docs/Admin', '/docs/admin.json', '/README.md', '/Static/App.JS', '/api/billingx', '/api/Billing2.json', '/adminx:y', '/docs/admin:x', '/x%3Ay']) {
    const hits = up.requests.length
    const reply = await ask(path)
    assert.equal(reply.status, 200, `${path}: ${reply.body}`)
    assert.equal(up.requests.length, hits + 1)
  }
  for (const path of ['/admin', '/admin/x.json', '/admin/Users', '/api/Billing/x']) {
    assert.equal((await ask(path)).status, 401, path)
  }
})

test('a WebSocket upgrade reaches the upstream on the very request target a plain request would (base path, strip_prefix, query)', async (t) => {
  const gw = await startHarness({
    routes: () => [
      testRoute('ws', `${up.url}/base`, { match: { host: null, pathPrefix: '/ws', methods: null }, auth: 'none', tools: [], stripPrefix: true }),
      testRoute('plain', up.url, { match: { host: null, pathPrefix: '/', methods: null }, auth: 'none', tools: [] }),
    ],
  })
  t.after(() => gw.close())
  const target = new URL(gw.url)
  const send = (path: string, upgrade: boolean): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(target.port), target.hostname)
      const extra = upgrade ? 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' : 'Connection: close\r\n'
      socket.once('data', () => {
        socket.destroy()
        resolve()
      })
      socket.on('error', reject)
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${target.host}\r\n${extra}\r\n`)
    })
  for (const [path, line] of [
    ['/ws/chat/room-1?token=a&next=/x/../y', 'GET /base/chat/room-1?token=a&next=/x/../y HTTP/1.1'],
    ['/ws', 'GET /base HTTP/1.1'],
    ['/stream/caf%C3%A9?q=%2e%2e', 'GET /stream/caf%C3%A9?q=%2e%2e HTTP/1.1'],
  ] as const) {
    for (const upgrade of [false, true]) {
      const before = up.requests.length
      await send(path, upgrade)
      assert.equal(up.requests.length, before + 1, path)
      assert.equal(up.last.line, line, `${upgrade ? 'upgrade' : 'plain'} ${path}`)
    }
  }
})

test('HEAD on a GET-only token route is that route (upstreams run the GET handler for HEAD), not the auth: none fall-through', async (t) => {
  const gw = await startHarness({
    routes: () => [
      testRoute('reports', up.url, { match: { host: null, pathPrefix: '/reports', methods: ['GET'] } }),
      testRoute('open', up.url, { match: { host: null, pathPrefix: '/', methods: null }, auth: 'none', tools: [] }),
    ],
  })
  t.after(() => gw.close())
  const target = new URL(gw.url)
  const before = up.requests.length
  const status = await new Promise<number>((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve(Number(text.split(' ')[1])))
    socket.write(`HEAD /reports/2026 HTTP/1.1\r\nHost: ${target.host}\r\nConnection: close\r\n\r\n`)
  })
  assert.equal(status, 401)
  assert.equal(up.requests.length, before, 'the upstream never ran the GET handler without a token')
})

/**
 * Every way the upstream families above may read a path, folded into one: decode (overlong UTF-8
 * too), NFKC, '\' as '/', ';params' stripped, dot segments removed, '//' merged, trailing dots and
 * spaces stripped, lowercase, ':' ending a non-empty name, a final '.ext' dropped.
 */
function loosestReading(path: string): string {
  let bytes = ''
  for (let i = 0; i < path.length; i++) {
    if (path[i] === '%' && /^[0-9a-fA-F]{2}$/.test(path.slice(i + 1, i + 3))) {
      bytes += String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes += path[i]
  }
  // Lenient UTF-8, overlong two-byte forms included.
  let text = ''
  const buf = Buffer.from(bytes, 'latin1')
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!
    if ((b & 0xe0) === 0xc0 && ((buf[i + 1] ?? 0) & 0xc0) === 0x80) {
      text += String.fromCharCode(((b & 0x1f) << 6) | (buf[i + 1]! & 0x3f))
      i++
    } else if ((b & 0xf0) === 0xe0 && ((buf[i + 1] ?? 0) & 0xc0) === 0x80 && ((buf[i + 2] ?? 0) & 0xc0) === 0x80) {
      text += String.fromCharCode(((b & 0x0f) << 12) | ((buf[i + 1]! & 0x3f) << 6) | (buf[i + 2]! & 0x3f))
      i += 2
    } else text += String.fromCharCode(b)
  }
  const segments = text.normalize('NFKC').replaceAll('\\', '/').toLowerCase().split('/').map((s) => s.split(';')[0]!.replace(/(?<=.):.*$/, '').replace(/[. ]+$/, (m) => (/^[.]+$/.test(s) ? m : '')))
  const out: string[] = []
  for (const s of segments) {
    if (s === '..') out.pop()
    else if (s !== '.' && s !== '') out.push(s)
  }
  const last = out.length - 1
  if (last >= 0) out[last] = out[last]!.replace(/\.[^.]*$/, '')
  return '/' + out.join('/')
}

test('property: whatever the auth: none route forwards, no upstream reading of it is under the protected prefix', async () => {
  const hostile = ['ADMIN', 'Admin', '%61dmin', '.', '..', '%2e', '%2E%2e', ';x', '%3b', '::$DATA', '%3A', '.json', '%EF%BC%8F', '%EF%BC%8E', '%C0%AE', '%C0%AF', '\\', '%5c', '%2f', '%20', '%C2%A0', '%E2%80%A6', '%252e']
  const benign = ['admin', 'x', 'public', 'docs', '/', '/', '-', '~', '.md', '%C3%A9']
  const piece = fc.oneof({ arbitrary: fc.constantFrom(...benign), weight: 3 }, { arbitrary: fc.constantFrom(...hostile), weight: 1 })
  let forwarded = 0
  await fc.assert(
    fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 6 }), async (parts) => {
      const path = '/' + parts.join('')
      const hits = up.requests.length
      const reply = await ask(path)
      if (up.requests.length === hits) return
      forwarded++
      const reading = loosestReading(path)
      assert.ok(reading !== '/admin' && !reading.startsWith('/admin/'), `${path} (${reply.status}) was forwarded without a token but reads as ${reading}`)
    }),
    { numRuns: 400 },
  )
  assert.ok(forwarded > 40, `only ${forwarded} paths were forwarded: the property would be vacuous`)
})
