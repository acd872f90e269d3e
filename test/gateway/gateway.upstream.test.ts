import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { createHash } from 'node:crypto'
import { request } from 'undici'
import { startHarness, testRoute } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

test('upstream refusing connections → 502 upstream_unavailable (after the burn)', async (t) => {
  const port = await closedPort()
  const h = await startHarness({ routes: () => [testRoute('dead', `http://127.0.0.1:${port}`)] })
  t.after(() => h.close())
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer)) })
  assert.equal(reply.status, 502)
  assert.equal(reply.json['code'], 'upstream_unavailable')
  assert.ok(!reply.text.includes('ECONNREFUSED'), 'raw upstream errors stay in the log')
})

test('upstream slower than headers_timeout → 504 upstream_timeout', async (t) => {
  const h = await startHarness({
    routes: (up) => [testRoute('slow', up, { upstream: { url: up, connectTimeoutMs: 1000, headersTimeoutMs: 200, bodyTimeoutMs: 200, keepAliveTimeoutMs: 1000, connections: 4 } })],
  })
  t.after(() => h.close())
  h.upstream.delayMs = 1000
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer)) })
  assert.equal(reply.status, 504)
  assert.equal(reply.json['code'], 'upstream_timeout')
})

test('client abort mid-request aborts the upstream request', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  h.upstream.delayMs = 2000
  const controller = new AbortController()
  const pending = request(`${h.url}/v1/x`, { headers: bearer(mint(h.signer)), signal: controller.signal }).catch((err: unknown) => err)
  for (let i = 0; i < 100 && h.upstream.hits === 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(h.upstream.hits, 1)
  controller.abort()
  await pending
  for (let i = 0; i < 100 && h.upstream.aborted === 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(h.upstream.aborted, 1)
  for (let i = 0; i < 100 && h.sink.accessLines().length === 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(h.sink.accessLines().at(-1)?.['code'], 'client_closed')
})

test('a 50 MB body streams through: upstream sees bytes before the client finishes', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  const CHUNK = 64 * 1024
  const CHUNKS = 800 // 50 MiB
  const chunk = Buffer.alloc(CHUNK, 0x61)
  const expected = createHash('sha256')
  for (let i = 0; i < CHUNKS; i++) expected.update(chunk)
  let producedAllAt = 0
  let sent = 0
  const body = new Readable({
    read() {
      if (sent === CHUNKS) {
        producedAllAt = performance.now()
        this.push(null)
        return
      }
      sent++
      this.push(chunk)
    },
  })
  const res = await request(`${h.url}/v1/upload`, { method: 'PUT', headers: bearer(mint(h.signer)), body })
  const echo = (await res.body.json()) as { bodyLength: number; bodySha256: string }
  assert.equal(res.statusCode, 200)
  assert.equal(echo.bodyLength, CHUNK * CHUNKS)
  assert.equal(echo.bodySha256, expected.digest('hex'))
  assert.ok(h.upstream.firstBodyByteAt > 0 && h.upstream.firstBodyByteAt < producedAllAt, 'upstream received bytes before the client finished sending')
  // Client, gateway and upstream share this process, so RSS says little here; the e2e suite measures
  // the gateway process's RSS on the same upload.
})
