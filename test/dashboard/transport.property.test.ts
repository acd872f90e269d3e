// Untrusted header parsing for sessions, over large input spaces (fast-check): the Cookie parser, the
// session token shape, Host → hostname and loopback, X-Forwarded-Proto trust, and the CSRF check.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import fc from 'fast-check'
import { csrfTokenFor, parseCookies } from '../../src/vault/dashboard/auth/index.ts'
import { csrfProblem } from '../../src/vault/dashboard/auth/csrf.ts'
import { hostnameOf, isHttps, isLoopbackHost, sessionTokenOf, transportOf } from '../../src/vault/dashboard/auth/transport.ts'
import type { VaultDashboardConfig } from '../../src/config/index.ts'

const CONFIG: VaultDashboardConfig = { sessionIdleMs: 1, sessionAbsoluteMs: 1, allowInsecureHttp: false, trustProxy: false }
const TRUSTING: VaultDashboardConfig = { ...CONFIG, trustProxy: true }

function req(headers: Record<string, string | string[] | undefined>, encrypted = false): IncomingMessage {
  return { headers, socket: { remoteAddress: '127.0.0.1', encrypted } } as unknown as IncomingMessage
}

const cookieName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/)
const cookieValue = fc.stringMatching(/^[A-Za-z0-9!#$%&'()*+\-./:<>?@[\]^_`{|}~]{0,40}$/)

test('parseCookies: a serialised cookie list parses back, first occurrence of a name wins', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(cookieName, cookieValue), { maxLength: 12 }), (pairs) => {
      const parsed = parseCookies(pairs.map(([n, v]) => `${n}=${v}`).join('; '))
      const expected = new Map<string, string>()
      for (const [n, v] of pairs) if (!expected.has(n)) expected.set(n, v)
      assert.deepEqual(parsed, expected)
    }),
    { numRuns: 500 },
  )
})

test('parseCookies and sessionTokenOf never throw on arbitrary text; only a 43-char base64url token is a token', () => {
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 100 })), (text) => {
      const map = parseCookies(text)
      assert.ok(map instanceof Map)
      assert.equal(Object.getPrototypeOf({}).polluted, undefined)
      const token = sessionTokenOf(req({ cookie: text }), CONFIG)
      assert.ok(token === null || /^[A-Za-z0-9_-]{43}$/.test(token))
    }),
    { numRuns: 300 },
  )
  assert.equal(parseCookies('__proto__=x; constructor=y').get('__proto__'), 'x')
  assert.equal(({} as Record<string, unknown>).x, undefined)
  const token = 'A'.repeat(43)
  assert.equal(sessionTokenOf(req({ cookie: `ledgix_session=${token}` }), CONFIG), token)
  assert.equal(sessionTokenOf(req({ cookie: `__Host-ledgix_session=${token}` }), CONFIG), null, 'plain HTTP reads only the plain name')
  assert.equal(sessionTokenOf(req({ cookie: `__Host-ledgix_session=${token}` }, true), CONFIG), token)
  assert.equal(sessionTokenOf(req({ cookie: `ledgix_session=${token}` }, true), CONFIG), null, 'HTTPS reads only the __Host- name')
  assert.equal(sessionTokenOf(req({ cookie: `ledgix_session=${token}=` }), CONFIG), null)
})

test('Host → hostname never throws; loopback is 127/8, localhost and [::1] only', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (host) => {
      const name = hostnameOf(req({ host }))
      assert.ok(name === null || name.length <= 255)
      isLoopbackHost(name)
    }),
    { numRuns: 1000 },
  )
  fc.assert(
    fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.option(fc.integer({ min: 1, max: 65535 }))), ([a, b, c, port]) => {
      const host = `127.${a}.${b}.${c}${port === null ? '' : `:${port}`}`
      assert.equal(isLoopbackHost(hostnameOf(req({ host }))), true, host)
      assert.equal(transportOf(req({ host }), CONFIG).ok, true)
    }),
    { numRuns: 300 },
  )
  for (const host of ['localhost:8000', 'LOCALHOST', 'app.localhost', '[::1]:9', '127.0.0.1']) assert.equal(isLoopbackHost(hostnameOf(req({ host }))), true, host)
  for (const host of ['128.0.0.1', '127.0.0.1.evil.test', 'evil.test', 'localhost.evil.test', '[::2]', '10.0.0.1', '127.0.0.1@evil.test', '']) {
    assert.equal(isLoopbackHost(hostnameOf(req({ host }))), false, host)
    assert.deepEqual(transportOf(req({ host }), CONFIG), { ok: false }, host)
  }
})

test('X-Forwarded-Proto counts only with trust_proxy', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }), (proto) => {
      assert.equal(isHttps(req({ 'x-forwarded-proto': proto }), CONFIG), false)
      assert.equal(isHttps(req({ 'x-forwarded-proto': proto }), TRUSTING), proto.split(',')[0]!.trim().toLowerCase() === 'https')
    }),
    { numRuns: 300 },
  )
})

test('CSRF: only the exact HMAC of this session id from a same-origin request passes', () => {
  const key = Buffer.alloc(32, 7)
  const sid = '01900000-0000-7000-8000-000000000000'
  const good = csrfTokenFor(key, sid)
  const base = { host: '127.0.0.1:8000', origin: 'http://127.0.0.1:8000', 'sec-fetch-site': 'same-origin' }
  assert.equal(csrfProblem(req({ ...base, 'x-ledgix-csrf': good }), CONFIG, key, sid), null)
  fc.assert(
    fc.property(fc.string({ maxLength: 60 }), fc.uuid(), (sent, other) => {
      fc.pre(sent !== good)
      assert.notEqual(csrfProblem(req({ ...base, 'x-ledgix-csrf': sent }), CONFIG, key, sid), null)
      if (other !== sid) assert.notEqual(csrfTokenFor(key, other), good)
    }),
    { numRuns: 500 },
  )
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), (site) => {
      fc.pre(site !== 'same-origin')
      assert.notEqual(csrfProblem(req({ ...base, 'sec-fetch-site': site, 'x-ledgix-csrf': good }), CONFIG, key, sid), null)
    }),
    { numRuns: 200 },
  )
  fc.assert(
    fc.property(fc.webUrl(), (origin) => {
      fc.pre(origin.toLowerCase() !== base.origin)
      assert.notEqual(csrfProblem(req({ host: base.host, origin, 'x-ledgix-csrf': good }), CONFIG, key, sid), null)
    }),
    { numRuns: 200 },
  )
})
