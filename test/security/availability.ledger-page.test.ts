// Issue 16 (availability): `GET /ledger?limit=1000` had no byte bound; a few concurrent large pages
// stalled other tenants and grew memory to gigabytes. Now a page stops after MAX_LEDGER_PAGE_BYTES of
// rows with `next_cursor`, and is streamed a few rows at a time under the socket's backpressure.
// Loopback only, bounded in rows and connections; no timing assertions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import type { IncomingMessage } from 'node:http'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { MAX_LEDGER_PAGE_BYTES } from '../../src/vault/routes/ledger-page.ts'
import { getJson, ledgerHarness, sealAll } from '../ledger/ledger-harness.ts'
import { call } from '../vault/helpers.ts'
import type { Harness } from '../vault/helpers.ts'

const ROWS = 240
const NOTE_BYTES = 64 * 1024
/** Every full page of this ledger is ≈ ROWS × NOTE_BYTES = 15 MiB without a bound. */
const ROW_BYTES_MAX = NOTE_BYTES + 4096

async function bigRows(h: Harness): Promise<void> {
  for (let i = 0; i < ROWS; i += 16) {
    await Promise.all(Array.from({ length: Math.min(16, ROWS - i) }, (_, j) => call(h.base, 'POST', '/request-clearance', {
      key: h.keys.agent,
      body: { tool_name: 'ping', tool_args: { customer_id: `cus_${i + j}`, note: String.fromCharCode(97 + ((i + j) % 26)).repeat(NOTE_BYTES) }, agent_id: 'bulk-agent' },
    }).then((r) => assert.equal(r.status, 200, r.text))))
  }
  await sealAll(h)
}

test('a full page stops at the byte budget with next_cursor; following the cursors reads every row exactly once', async (t) => {
  const h = await ledgerHarness(t)
  await bigRows(h)
  const seen: number[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const res = await call(h.base, 'GET', `/ledger?limit=1000&view=full${cursor === undefined ? '' : `&after=${cursor}`}`, { key: h.keys.admin })
    assert.equal(res.status, 200)
    assert.ok(Buffer.byteLength(res.text) <= MAX_LEDGER_PAGE_BYTES + ROW_BYTES_MAX, `page ${pages}: ${Buffer.byteLength(res.text)} bytes`)
    seen.push(...res.body.entries.map((e: { seq: number }) => e.seq))
    cursor = res.body.next_cursor
    pages++
  } while (cursor !== undefined && pages < 50)
  assert.deepEqual(seen, Array.from({ length: ROWS }, (_, i) => i + 1))
  assert.ok(pages >= Math.ceil((ROWS * NOTE_BYTES) / (MAX_LEDGER_PAGE_BYTES + ROW_BYTES_MAX)), `${pages} pages`)
  // The default (redacted) rows are small: a 1000-row page is whole, no cursor when the ledger ends.
  const redacted = await getJson(h, '/ledger?limit=1000')
  assert.equal(redacted.entries.length, ROWS)
  assert.equal(redacted.next_cursor, undefined)
})

/** A GET whose body is not read: the server meets backpressure once the socket buffers fill. */
function openPaused(base: string, path: string, key: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(base + path, { headers: { 'x-vault-api-key': key }, agent: false }, (res) => {
      res.pause()
      resolve(res)
    })
    req.on('error', reject)
    req.end()
  })
}

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
    res.resume()
  })
}

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const retainedBytes = (): number => {
  gc()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}

test('concurrent limit=1000 full pages of large rows: memory stays bounded and another tenant is answered meanwhile', async (t) => {
  const h = await ledgerHarness(t)
  await bigRows(h)
  const before = retainedBytes()
  const CONCURRENT = 4
  const pages = await Promise.all(Array.from({ length: CONCURRENT }, () => openPaused(h.base, '/ledger?limit=1000&view=full', h.keys.admin)))
  let ended = 0
  for (const p of pages) p.once('end', () => ended++)
  // Tenant B is served while all four pages are open and unread.
  const clearance = await call(h.base, 'POST', '/request-clearance', { key: h.keys.bAgent, body: { tool_name: 'ping', tool_args: {}, agent_id: 'b' } })
  assert.equal(clearance.status, 200)
  assert.equal((await call(h.base, 'GET', '/ledger?limit=10', { key: h.keys.bAgent })).status, 200)
  assert.equal(ended, 0, 'the big pages are still open')
  // What the server holds for four open 15 MiB pages: a few rows each, not the pages.
  const held = retainedBytes() - before
  assert.ok(held < CONCURRENT * MAX_LEDGER_PAGE_BYTES, `held ${(held / 1048576).toFixed(1)} MiB for ${CONCURRENT} open pages`)
  for (const p of pages) {
    const text = await readAll(p)
    assert.ok(Buffer.byteLength(text) <= MAX_LEDGER_PAGE_BYTES + ROW_BYTES_MAX)
    const body = JSON.parse(text) as { entries: Array<{ seq: number }>; next_cursor?: string }
    assert.equal(body.next_cursor, String(body.entries[body.entries.length - 1]!.seq))
  }
})
