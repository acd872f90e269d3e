import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Readable } from 'node:stream'
import { request } from 'undici'
import { startHarness } from '../helpers/gateway-harness.ts'
import { bearer } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

test('streamed body: a stalled upstream stalls the client (bounded bytes in flight), then everything arrives', async (t) => {
  const h = await startHarness()
  t.after(() => h.close())
  h.upstream.holdBodies = true
  const CHUNK = 64 * 1024
  const TOTAL_CHUNKS = 512 // 32 MiB offered
  const chunk = Buffer.alloc(CHUNK, 0x63)
  let sent = 0
  const body = new Readable({
    highWaterMark: CHUNK,
    read() {
      if (sent === TOTAL_CHUNKS) this.push(null)
      else {
        sent++
        this.push(chunk)
      }
    },
  })
  const pending = request(`${h.url}/v1/upload`, { method: 'PUT', headers: bearer(mint(h.signer)), body })
  for (let i = 0; i < 200 && h.upstream.hits === 0; i++) await new Promise((r) => setTimeout(r, 10))
  assert.equal(h.upstream.hits, 1)
  // Let every buffer between client and upstream fill up.
  await new Promise((r) => setTimeout(r, 500))
  const stalledAt = sent * CHUNK
  // Socket buffers and stream high-water marks hold a few MiB at most; buffering would take it all.
  assert.ok(stalledAt < 16 * 1024 * 1024, `client pushed ${(stalledAt / 1048576).toFixed(1)} MiB into a stalled upstream`)
  await new Promise((r) => setTimeout(r, 200))
  assert.ok(sent * CHUNK - stalledAt < 2 * 1024 * 1024, 'the client stays stalled')
  h.upstream.resumeBodies()
  const res = await pending
  const echo = (await res.body.json()) as { bodyLength: number }
  assert.equal(res.statusCode, 200)
  assert.equal(echo.bodyLength, TOTAL_CHUNKS * CHUNK)
})
