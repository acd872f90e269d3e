// The Agents/drift and Reports pages in a real browser (issue 19 "dashboard pages for both"): lock an
// agent from the page with a reason (the API then refuses its clearance and the approval of its review
// with agent_locked) and release it by typing its id; the review queue's lock banner (Approve not
// offered for a locked agent's review, following lock and release live); generate a report for a
// period, wait for ready, download the PDF and JSON, share it once (the token shown once; the shared
// URL works without a key), revoke (then 404). axe finds nothing on either page, light and dark.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import type { Browser, Page } from 'playwright-core'
import { checkState, gotoPage, launchBrowser, loginFromNode, openSignedIn, setupAdminFromNode, skipWithoutBrowser, startDashboardStack, until } from './dashboard-harness.ts'
import type { DashboardStack, SessionCookie, Watched } from './dashboard-harness.ts'

const AGENT = 'agent-drift-e2e'

describe('dashboard Agents/drift and Reports pages (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  let stack: DashboardStack
  let browser: Browser
  let admin: SessionCookie

  before(async () => {
    stack = await startDashboardStack()
    browser = await launchBrowser()
    admin = await setupAdminFromNode(stack)
  })
  after(async () => {
    await browser?.close()
    await stack?.close()
  })

  async function withPage(body: (w: Watched) => Promise<void>, who: SessionCookie = admin): Promise<void> {
    const watched = await openSignedIn(browser, stack, who)
    try {
      await body(watched)
      watched.assertClean()
    } finally {
      await watched.close()
    }
  }

  async function download(page: Page, name: string): Promise<Buffer> {
    const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()])
    const path = await file.path()
    return readFileSync(path)
  }

  test('drift: lock an agent with a reason from the page, the API refuses it with agent_locked, release by typing its id', async () => {
    const on = await stack.api('PUT', '/drift/settings', { enabled: true })
    assert.equal(on.status, 200, on.text)
    for (const amount of [10, 20, 30]) assert.equal((await stack.clearance({ amount }, AGENT)).json['status'], 'approved')
    const review = await stack.clearance({ amount: 3100, currency: 'usd' }, AGENT)
    assert.equal(review.json['status'], 'pending_review', review.text)
    const reviewId = review.json['request_id'] as string

    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/drift', 'Agents and drift')
      const row = page.locator(`tr[data-agent-id="${AGENT}"]`)
      await row.getByText('not locked').waitFor()
      await checkState(page, 'drift agents')

      await row.getByRole('button', { name: `Lock ${AGENT}…` }).click()
      const dialog = page.getByRole('dialog', { name: `Lock ${AGENT}?` })
      await dialog.waitFor()
      // The reason is required: an empty one does not submit.
      await dialog.getByRole('button', { name: 'Lock agent' }).click()
      assert.equal(await dialog.isVisible(), true, 'the dialog stays open without a reason')
      await dialog.getByLabel('Reason (required)').fill('e2e: suspicious refunds')
      await dialog.getByRole('button', { name: 'Lock agent' }).click()
      await row.getByText('Locked: e2e: suspicious refunds').waitFor()

      const clearance = await stack.clearance({ amount: 10 }, AGENT)
      assert.equal(clearance.json['status'], 'denied', clearance.text)
      assert.equal(clearance.json['reason_code'], 'agent_locked')
      const approve = await stack.api('POST', `/reviews/${reviewId}/decision`, { approved: true, review_reason: 'e2e tries while locked' })
      assert.equal(approve.status, 403, approve.text)
      assert.equal(approve.json['code'], 'agent_locked')

      // The agent's timeline shows the lock with who and why.
      await row.getByRole('link', { name: AGENT }).click()
      await page.getByRole('heading', { level: 2, name: `Agent ${AGENT}` }).waitFor()
      await page.locator('.timeline').getByText('e2e: suspicious refunds').waitFor()
      await checkState(page, 'drift agent locked with timeline')

      await row.getByRole('button', { name: `Release ${AGENT}…` }).click()
      const release = page.getByRole('dialog', { name: `Release ${AGENT}?` })
      await release.getByLabel('Reason (required)').fill('e2e: checked with the owner')
      const confirm = release.getByRole('button', { name: 'Release agent' })
      assert.equal(await confirm.isDisabled(), true, 'disabled until the agent id is typed')
      await release.getByLabel(`Type ${AGENT} to confirm`).fill(AGENT)
      await confirm.click()
      await row.getByText('not locked').waitFor()
      await page.locator('.timeline').getByText('e2e: checked with the owner').waitFor()
    })
    const again = await stack.clearance({ amount: 10 }, AGENT)
    assert.equal(again.json['status'], 'approved', again.text)
  })

  test('review queue: a pending review of a locked agent shows a lock banner and cannot be chosen for approval; the banner follows lock and release live', async () => {
    const agent = 'agent-lock-banner'
    const review = await stack.clearance({ amount: 3200, currency: 'usd' }, agent)
    assert.equal(review.json['status'], 'pending_review', review.text)
    const reviewId = review.json['request_id'] as string
    const lock = await stack.api('POST', `/drift/agents/${agent}/lockdown`, { reason: 'e2e: banner check' })
    assert.equal(lock.status, 200, lock.text)

    await withPage(async ({ page, eventStreamOpen }) => {
      await gotoPage(page, stack, `#/reviews/${reviewId}`, 'Review queue')
      const banner = page.getByRole('status').filter({ hasText: 'Locked agents' })
      await banner.getByRole('link', { name: agent }).waitFor()
      assert.equal(await banner.getByRole('link', { name: agent }).getAttribute('href'), `#/drift/${agent}`)
      await page.getByRole('listitem').filter({ hasText: agent }).getByText('locked').waitFor()
      await page.getByText(`${agent} is locked: e2e: banner check. Approving is refused until it is released; denying works.`).waitFor()
      assert.equal(await page.locator('#decide-approve').isDisabled(), true, 'Approve cannot be chosen')
      assert.equal(await page.locator('#decide-deny').isDisabled(), false, 'Deny can')
      // Nor by its shortcut: `a` leaves nothing chosen (before, it checked the disabled radio).
      await page.evaluate('document.activeElement?.blur()')
      await page.keyboard.press('d')
      await until('d chooses Deny', async () => await page.locator('#decide-deny').isChecked())
      await page.evaluate('document.activeElement?.blur()')
      await page.keyboard.press('a')
      await new Promise((r) => setTimeout(r, 200))
      assert.equal(await page.locator('#decide-approve').isChecked(), false, 'the a shortcut does not choose Approve')
      assert.equal(await page.locator('#decide-deny').isChecked(), true, 'Deny stays chosen')
      await checkState(page, 'review queue locked agent')

      // Released elsewhere: the banner goes and Approve comes back without a reload; locked again, back.
      await eventStreamOpen()
      const release = await stack.api('DELETE', `/drift/agents/${agent}/lockdown`, { reason: 'e2e: released', rebaseline: false })
      assert.equal(release.status, 200, release.text)
      await until('the banner goes on release', async () => (await banner.count()) === 0)
      assert.equal(await page.locator('#decide-approve').isDisabled(), false)
      assert.equal((await stack.api('POST', `/drift/agents/${agent}/lockdown`, { reason: 'e2e: again' })).status, 200)
      await page.getByText(`${agent} is locked: e2e: again.`, { exact: false }).waitFor()
      await banner.getByRole('link', { name: agent }).waitFor()
    })
    const approve = await stack.api('POST', `/reviews/${reviewId}/decision`, { approved: true, review_reason: 'e2e' })
    assert.equal(approve.json['code'], 'agent_locked', 'the server refuses what the page does not offer')
  })

  test('reports: generate for a period, ready, download PDF and JSON, share once, the link works without a key, revoke → 404', async () => {
    assert.equal((await stack.clearance({ amount: 15 })).json['status'], 'approved')
    const to = new Date(Date.now() - (Date.now() % 60_000)).toISOString().slice(0, 16)
    const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 16)
    let shareUrl = ''
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/reports', 'Compliance reports')
      await page.getByLabel('From (UTC)').fill(from)
      await page.getByLabel('To, exclusive (UTC)').fill(to)
      await page.getByLabel('Title (optional)').fill('E2E report')
      const posted = page.waitForRequest((req) => req.url().endsWith('/reports') && req.method() === 'POST')
      await page.getByRole('button', { name: 'Generate' }).click()
      const key = (await posted).headers()['idempotency-key']
      assert.match(key ?? '', /^[0-9a-f]{32}$/, 'an Idempotency-Key per submit')
      await page.getByRole('heading', { level: 2, name: 'E2E report' }).waitFor()
      await page.getByRole('link', { name: 'Download PDF' }).waitFor({ timeout: 60_000 })
      const pdf = await download(page, 'Download PDF')
      assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF')
      const json = JSON.parse((await download(page, 'Download JSON')).toString('utf8')) as Record<string, unknown>
      const id = /#\/reports\/(rpt_[0-9a-f-]+)/.exec(page.url())![1]!
      assert.equal(JSON.stringify(json).includes(id), true, 'the JSON is this report')
      await checkState(page, 'report ready')

      await page.getByLabel('Recipient (optional)').fill('auditor@example.com')
      await page.getByRole('button', { name: 'Create share link' }).click()
      const link = page.getByRole('textbox', { name: 'Share link' })
      await link.waitFor()
      shareUrl = await link.inputValue()
      assert.match(shareUrl, new RegExp(`^${stack.vaultUrl}/reports/shared/lgxs_`))
      await page.getByRole('cell', { name: 'auditor@example.com' }).waitFor()
      await checkState(page, 'report shared once')
      await page.getByRole('button', { name: 'Done' }).click()
      assert.equal(await page.getByRole('textbox', { name: 'Share link' }).count(), 0, 'the token is shown once')
      await page.reload()
      await page.getByRole('cell', { name: 'auditor@example.com' }).waitFor()
      assert.equal(await page.getByText('lgxs_').count(), 0, 'nothing shows the token again')

      const shared = await stack.api('GET', new URL(shareUrl).pathname, undefined, null)
      assert.equal(shared.status, 200, shared.text)
      assert.equal(shared.json['report_id'], id)

      await page.getByRole('button', { name: 'Revoke…' }).click()
      await page.getByRole('dialog', { name: 'Revoke this share link?' }).getByRole('button', { name: 'Revoke link' }).click()
      await page.getByText(/^revoked /).waitFor()
      const gone = await stack.api('GET', new URL(shareUrl).pathname, undefined, null)
      assert.equal(gone.status, 404, gone.text)
    })
  })

  test('viewer: reads both pages but finds no lock, release, generate, share or revoke controls', async () => {
    const made = await stack.api('POST', '/users', { email: 'viewer@example.com', role: 'viewer', password: 'viewer password, long enough' })
    assert.equal(made.status, 201, made.text)
    const viewer = await loginFromNode(stack, 'viewer@example.com', 'viewer password, long enough')
    const listed = await stack.api('GET', '/reports')
    const reportId = (listed.json['reports'] as { report_id: string }[])[0]?.report_id
    assert.ok(reportId !== undefined, 'the reports test made one')
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, `#/drift/${AGENT}`, 'Agents and drift')
      await page.locator(`tr[data-agent-id="${AGENT}"]`).waitFor()
      await page.locator('.timeline li').first().waitFor()
      assert.equal(await page.getByRole('button', { name: /^(Lock|Release) / }).count(), 0)
      await gotoPage(page, stack, `#/reports/${reportId}`, 'Compliance reports')
      await page.getByRole('link', { name: 'Download PDF' }).waitFor()
      assert.equal(await page.getByRole('button', { name: /Generate|Create share link|Revoke/ }).count(), 0)
      await checkState(page, 'report as viewer')
    }, viewer)
  })
})
