// Regenerates the README's dashboard screenshots (docs/images/dashboard-*.png):
//   npx tsx scripts/dashboard-screenshots.ts
// Starts an all-in-one instance with the e2e harness (temp data dir, loopback ports), adds demo data
// (a first admin, an approved small payment, an approved and a pending large payment), drives the
// system chromium (/usr/bin/chromium via playwright-core) at 1280×800 in the light scheme and writes
// the review queue with a pending review open, and the ledger's in-browser verification of a proof
// bundle. Each PNG must stay under 200 KB.
import { statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import {
  gotoPage,
  launchBrowser,
  openSignedIn,
  setupAdminFromNode,
  skipWithoutBrowser,
  startDashboardStack,
  until,
} from '../test/e2e/dashboard-harness.ts'

const OUT = resolve(import.meta.dirname, '..', 'docs', 'images')
const MAX_BYTES = 200 * 1024

if (skipWithoutBrowser !== false) {
  console.error(skipWithoutBrowser)
  process.exit(1)
}

const stack = await startDashboardStack()
const browser = await launchBrowser()
try {
  const cookie = await setupAdminFromNode(stack)
  const small = await stack.clearance({ amount: 120, currency: 'usd', customer: 'cus_acme' }, 'billing-bot')
  if (small.json['status'] !== 'approved') throw new Error(`demo: the small payment was not approved: ${small.text}`)
  const big = await stack.clearance({ amount: 4800, currency: 'usd', customer: 'cus_acme', memo: 'annual licence' }, 'billing-bot')
  const bigId = big.json['request_id'] as string
  const decided = await stack.api('POST', `/reviews/${bigId}/decision`, { approved: true, review_reason: 'matches invoice INV-2291' })
  if (decided.status !== 200) throw new Error(`demo: deciding failed: ${decided.text}`)
  const pending = await stack.clearance({ amount: 18500, currency: 'usd', customer: 'cus_new_vendor', memo: 'wire for Q1 hardware' }, 'procurement-agent')
  const pendingId = pending.json['request_id'] as string
  if (pending.json['status'] !== 'pending_review') throw new Error(`demo: the large payment did not go to review: ${pending.text}`)

  const w = await openSignedIn(browser, stack, cookie, { width: 1280, height: 800 })
  const { page } = w
  const shoot = async (name: string) => {
    const file = join(OUT, name)
    await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' })
    const size = statSync(file).size
    if (size > MAX_BYTES) throw new Error(`${file} is ${size} bytes, over ${MAX_BYTES}`)
    console.log(`${file} (${Math.round(size / 1024)} KB)`)
  }

  await gotoPage(page, stack, `#/reviews/${pendingId}`, 'Review queue')
  await page.locator('#decide-form').waitFor()
  // The heading takes focus on navigation (for screen readers); its outline is not the point here.
  await page.locator('h1').evaluate((el: { blur(): void }) => el.blur())
  await shoot('dashboard-review-queue.png')

  await until('the approved payment is sealed into a checkpoint', async () => (await stack.api('GET', `/ledger/proof/bundle?request_id=${bigId}`)).status === 200, 15_000)
  await gotoPage(page, stack, `#/ledger/${bigId}`, 'Ledger')
  await page.getByRole('button', { name: 'Verify in this browser' }).click()
  await page.getByRole('heading', { name: /The bundle verifies/ }).scrollIntoViewIfNeeded()
  await shoot('dashboard-ledger-verify.png')
  w.assertClean()
  await w.close()
} finally {
  await browser.close()
  await stack.close()
}
