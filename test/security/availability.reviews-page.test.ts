// Issue 16, class 6 (large responses): GET /reviews carries every call's full tool_args (up to
// max_body each) and took up to 500 of them per page, built in one JSON.stringify: pages of hundreds
// of MiB, past V8's string limit. A page now stops at MAX_REVIEWS_PAGE_BYTES with next_cursor, as
// /ledger does; following the cursors reads every review exactly once. Real Vault, real SQLite.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_REVIEWS_PAGE_BYTES } from '../../src/vault/routes/reviews.ts'
import { call, startHarness } from '../vault/helpers.ts'

const REVIEW_ALL = { policy_id: 'review-all', tools: ['bulk_upload'], rules: [{ id: 'r', when: 'true', effect: 'review', reason: 'every upload is reviewed' }] }

test('GET /reviews?limit=500 of large calls: pages stop at the byte bound; the cursors read each review once', { timeout: 120_000 }, async (t) => {
  const h = await startHarness(t)
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: REVIEW_ALL })).status, 200)
  const ids: string[] = []
  for (let i = 0; i < 6; i++) {
    // ~700 KB of arguments each (max_body is 1 MiB): six of them are 4 MiB of one page before the bound.
    const res = await call(h.base, 'POST', '/request-clearance', {
      key: h.keys.agent,
      body: { tool_name: 'bulk_upload', tool_args: { n: i, blob: String(i).repeat(700_000) } },
    })
    assert.equal(res.status, 200)
    assert.equal(res.body.status, 'pending_review')
    ids.push(res.body.request_id as string)
  }
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await call(h.base, 'GET', `/reviews?status=pending&limit=500${cursor === null ? '' : `&cursor=${cursor}`}`, { key: h.keys.reviewer })
    assert.equal(res.status, 200)
    assert.ok(res.text.length <= MAX_REVIEWS_PAGE_BYTES + 1024, `page ${pages} is ${res.text.length} bytes`)
    const reviews = res.body.reviews as Array<{ request_id: string; tool_args: { blob: string } }>
    assert.ok(reviews.length >= 1)
    for (const r of reviews) {
      assert.equal(r.tool_args.blob.length, 700_000, 'arguments are served whole, never truncated')
      seen.push(r.request_id)
    }
    cursor = res.body.next_cursor as string | null
    pages++
  } while (cursor !== null && pages < 20)
  assert.ok(pages >= 3, `${pages} pages`)
  assert.deepEqual([...seen].sort(), [...ids].sort(), 'every review exactly once')
  // Small pages are unchanged: limit and next_cursor as before.
  const small = await call(h.base, 'GET', '/reviews?status=pending&limit=1', { key: h.keys.reviewer })
  assert.equal(small.body.reviews.length, 1)
  assert.equal(typeof small.body.next_cursor, 'string')
  assert.match(String(small.headers['content-type']), /^application\/json/)
})
