// Issue 16, class 6 (bounded in-flight bodies, Vault side): the Vault buffers a body whole before it
// parses it, and nothing bounded how many it held: one tenant's key (or anyone, on the login route)
// could open connection after connection, each with most of a max_body body sent, and hold ~1 MiB of
// heap per socket for the whole request_timeout. Now each body is reserved before it is read, against
// a Vault-wide bound and its owner's share (tenant, or client address when unauthenticated); beyond
// either, 503 `overloaded` with Retry-After at once, the body unread. Real Vault, raw sockets.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Registry } from 'prom-client'
import { closesWithin, destroyAll, openSocket, responseJson } from '../helpers/slow-socket.ts'
import type { SlowSocket } from '../helpers/slow-socket.ts'
import { call, startHarness } from '../vault/helpers.ts'

const MIB = 1024 * 1024
/** A sample's value in the registry's exposition text. */
async function sample(registry: Registry, name: string): Promise<number> {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(await registry.metrics())
  assert.ok(m !== null, `${name} is exported`)
  return Number(m[1])
}

/** An answer that needs no body: well within this on a loaded 2-core machine. */
const ANSWER_MS = 2000

async function vault(t: { after(fn: () => unknown): void }) {
  return startHarness(t, {
    config: {
      maxBodyBytes: MIB,
      maxInflightBodyBytes: 4 * MIB,
      maxInflightBodyPerTenantBytes: 2 * MIB,
      // Held bodies must outlive the test's steps, not be cut by the listener first.
      limits: { headersTimeoutMs: 10_000, requestTimeoutMs: 20_000, idleTimeoutMs: 20_000, keepAliveTimeoutMs: 5_000, maxConnections: 0, maxConnectionsPerIp: 0 },
    },
  })
}

/** A request whose declared 1 MiB body is only partly sent (64 KiB): the server must hold or refuse it. */
function held(port: number, path: string, key: string | null, chunked = false): Promise<SlowSocket> {
  const head =
    `POST ${path} HTTP/1.1\r\nHost: vault\r\nContent-Type: application/json\r\n` +
    (key === null ? '' : `X-Vault-API-Key: ${key}\r\n`) +
    (chunked ? 'Transfer-Encoding: chunked\r\n\r\n10000\r\n' : `Content-Length: ${MIB - 1024}\r\n\r\n`)
  return openSocket(port, { send: head + '{"x":"' + 'a'.repeat(64 * 1024 - 6) })
}

async function refusedAtOnce(s: SlowSocket): Promise<Record<string, unknown>> {
  assert.equal(await closesWithin(s, ANSWER_MS), true, 'answered and closed without waiting for the body')
  const { data } = await s.closed
  assert.match(data, /^HTTP\/1\.1 503 /)
  assert.match(data, /\r\nretry-after: 1\r\n/i)
  return responseJson(data)
}

test('one tenant\'s held bodies stop at its share (503 overloaded, body unread); another tenant is still served', async (t) => {
  const h = await vault(t)
  const port = h.server.port
  const sockets: SlowSocket[] = []
  t.after(() => destroyAll(sockets))
  // Tenant A holds its 2 MiB share: one on the fast path, one on a fastify route.
  sockets.push(await held(port, '/request-clearance', h.keys.agent), await held(port, '/register-policy', h.keys.admin))
  // Give the server a moment to admit both (the reservation happens once the headers are read).
  await new Promise((r) => setTimeout(r, 200))
  for (const [path, key, chunked] of [['/request-clearance', h.keys.agent, false], ['/register-policy', h.keys.admin, true]] as const) {
    const third = await held(port, path, key, chunked)
    sockets.push(third)
    const body = await refusedAtOnce(third)
    assert.equal(body['code'], 'overloaded', path)
    assert.match(String(body['detail']), /this caller already has \d+ bytes of request bodies in flight/)
  }
  // What an operator sees on /metrics: the held bytes and the two refusals.
  const registry = new Registry()
  h.server.context.bodies.registerMetrics(registry)
  assert.equal(await sample(registry, 'ledgix_vault_body_refusals_total'), 2)
  assert.equal(await sample(registry, 'ledgix_vault_inflight_body_bytes'), 2 * (MIB - 1024))
  // Tenant B is untouched by A's share.
  const b = await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'u', tool_args: {} } })
  assert.equal(b.status, 200)
  // Once A's connections go, A is served again.
  destroyAll(sockets)
  await new Promise((r) => setTimeout(r, 200))
  const a = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: 'u', tool_args: {} } })
  assert.equal(a.status, 200)
  assert.equal(await sample(registry, 'ledgix_vault_inflight_body_bytes'), 0, 'every reservation is given back')
})

test('the Vault-wide bound covers unauthenticated routes too (login by client address)', async (t) => {
  const h = await vault(t)
  const port = h.server.port
  const sockets: SlowSocket[] = []
  t.after(() => destroyAll(sockets))
  for (const key of [h.keys.agent, h.keys.agent, h.keys.bAgent, h.keys.bAgent]) sockets.push(await held(port, '/request-clearance', key))
  await new Promise((r) => setTimeout(r, 200))
  // The held bodies leave 4 KiB of the 4 MiB: an 8 KiB login body does not fit.
  const login = await openSocket(port, {
    send: 'POST /ui/api/login HTTP/1.1\r\nHost: vault\r\nContent-Type: application/json\r\nContent-Length: 8192\r\n\r\n{"email":"a@b.c","password":"',
  })
  sockets.push(login)
  const body = await refusedAtOnce(login)
  assert.equal(body['code'], 'overloaded')
  assert.match(String(body['detail']), /the Vault holds its maximum of 4194304 bytes of request bodies in flight/)
  // Before the harness closes the server (which would wait for the held requests).
  destroyAll(sockets)
})
