// The settings and history pages in a real browser (issue 18): a webhook channel added from the page
// and tested against a local receiver (which checks the HMAC with the secret typed once; the secret
// stays masked and "unchanged" across an edit), the drift settings form, the confirm on lowering the
// review threshold, and the history filters in the hash query (surviving a reload) with CSV/JSON
// export of the shown rows, and approving a review that would be allowed on timeout confirming in a
// dialog that repeats the key arguments. Every new state is checked with axe (light and dark).
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Browser } from 'playwright-core'
import {
  checkState,
  gotoPage,
  launchBrowser,
  openSignedIn,
  setupAdminFromNode,
  skipWithoutBrowser,
  startDashboardStack,
  until,
} from './dashboard-harness.ts'
import type { DashboardStack, SessionCookie, Watched } from './dashboard-harness.ts'

// DOM global, used only inside page.evaluate callbacks (the test project compiles without lib "dom").
declare const document: { activeElement: unknown }

const SECRET = 'whsec_dashboard_e2e_0123456789'

interface Received { headers: IncomingHttpHeaders; body: string }

describe('dashboard settings and history (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  let stack: DashboardStack
  let browser: Browser
  let cookie: SessionCookie
  let receiver: Server
  let receiverUrl = ''
  const received: Received[] = []

  before(async () => {
    stack = await startDashboardStack({ allowPrivateTargets: true, reviewExpiryEffect: 'approve' })
    browser = await launchBrowser()
    cookie = await setupAdminFromNode(stack)
    receiver = createServer((req, res) => {
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (c: string) => (body += c))
      req.on('end', () => {
        received.push({ headers: req.headers, body })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`
  })
  after(async () => {
    receiver?.closeAllConnections()
    await new Promise<void>((r) => (receiver === undefined ? r() : receiver.close(() => r())))
    await browser?.close()
    await stack?.close()
  })

  async function withPage(body: (w: Watched) => Promise<void>): Promise<void> {
    const w = await openSignedIn(browser, stack, cookie)
    try {
      await body(w)
      w.assertClean()
    } finally {
      await w.close()
    }
  }

  test('a webhook channel added in the page: secret masked after save, kept "unchanged" across an edit, "Send test" delivers a signed body', async () => {
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/settings', 'Settings')
      await page.getByRole('button', { name: 'Add channel' }).click()
      await page.getByLabel('Channel id').fill('ops-hook')
      await page.getByLabel('Webhook URL', { exact: true }).fill(receiverUrl)
      await page.getByLabel('HMAC secret').fill(SECRET)
      await page.getByLabel('Key id').fill('k1')
      await page.getByLabel('Tools (globs; empty = all)').fill('create_stripe_*')
      await checkState(page, 'settings channel form')
      await page.getByRole('button', { name: 'Save channel' }).click()
      await page.getByText('Saved channel ops-hook.').waitFor()
      const row = page.getByRole('row', { name: /ops-hook/ })
      await row.waitFor()
      const rowText = await row.innerText()
      assert.ok(!rowText.includes('/hook'), `the URL path is masked in the list: ${rowText}`)
      assert.match(rowText, /tools: create_stripe_\*/)

      const stored = await stack.api('GET', '/notification-settings')
      const channel = (stored.json as { channels: { id: string; secret: string; url: string; tools: string[] }[] }).channels.find((c) => c.id === 'ops-hook')
      assert.ok(channel !== undefined, stored.text)
      assert.notEqual(channel.secret, SECRET, 'the secret is masked')
      assert.deepEqual(channel.tools, ['create_stripe_*'])

      // Edit without retyping: the inputs say "unchanged" and the stored secret stays.
      await page.getByRole('button', { name: 'Edit ops-hook' }).click()
      const secretInput = page.getByLabel('HMAC secret')
      assert.equal(await secretInput.inputValue(), '')
      assert.match((await secretInput.getAttribute('placeholder')) ?? '', /^unchanged/)
      await page.getByLabel('Key id').fill('k2')
      await page.getByRole('button', { name: 'Save channel' }).click()
      await page.getByText('Saved channel ops-hook.').waitFor()

      await page.getByRole('button', { name: 'Send test to ops-hook' }).click()
      await until('the test result shows in the row', async () => /✓ Delivered/.test(await row.innerText()))
      await checkState(page, 'settings channel tested')
    })
    assert.ok(received.length >= 1, 'the receiver got the test')
    const last = received.at(-1)!
    assert.equal(last.headers['x-ledgix-key-id'], 'k2')
    assert.equal(last.headers['x-ledgix-signature'], `sha256=${createHmac('sha256', SECRET).update(last.body).digest('hex')}`, 'signed with the secret typed once')
  })

  test('removing a channel asks first, then it is gone from the server', async () => {
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/settings', 'Settings')
      await page.getByRole('button', { name: 'Remove ops-hook' }).click()
      const dialog = page.getByRole('dialog', { name: 'Remove channel ops-hook?' })
      await dialog.waitFor()
      await checkState(page, 'settings remove channel confirm')
      await dialog.getByRole('button', { name: 'Remove' }).click()
      await page.getByText('Removed channel ops-hook.').waitFor()
    })
    const stored = await stack.api('GET', '/notification-settings')
    assert.deepEqual((stored.json as { channels: unknown[] }).channels, [])
  })

  test('the drift settings form saves by mouse and by keyboard; GET /drift/settings reflects it', async () => {
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/settings', 'Settings')
      const enabled = page.getByLabel('Drift detection enabled')
      await enabled.waitFor()
      await enabled.check()
      await page.getByLabel('Mode').selectOption('enforce')
      await page.getByLabel('Watch').fill('35')
      await page.getByLabel('Alert').fill('65')
      await page.getByLabel('Minimum requests').fill('110')
      const form = page.getByRole('form', { name: 'Drift detection' })
      const save = page.getByRole('button', { name: 'Save drift settings' })
      // A mouse click, as a user saves, straight after typing: focus leaves the number input on
      // mousedown and nothing in the page moves (no blur validation, help text or sticky element),
      // so mouseup lands on the button. The axe check and screenshots come after the click: the
      // harness's full-page screenshot (Page.captureScreenshot with captureBeyondViewport) leaves
      // window.scrollY at the end of the page (244) while Chromium still holds the offset from before
      // the capture (135, the input scrolled into view), and the next mouse focus change restores
      // that offset between mousedown and mouseup, so a click taken after a full-page screenshot
      // lands on the form's legend (measured: scrollHeight 1004 and innerHeight 760 throughout; a
      // viewport screenshot, axe, or no screenshot leaves the click alone).
      const put = (n: string) => page.waitForResponse((r) => r.url().endsWith('/drift/settings') && r.request().method() === 'PUT' && r.request().postData()?.includes(`"min_requests":${n}`) === true)
      const mouseSaved = put('110')
      await save.click()
      assert.equal((await mouseSaved).status(), 200)
      await form.getByText('Saved.').waitFor()
      await checkState(page, 'settings drift form saved')

      // And by keyboard: Tab from the last field to Save, Enter.
      await page.getByLabel('Minimum requests').fill('120')
      await page.keyboard.press('Tab')
      assert.equal(await save.evaluate((el) => el === document.activeElement), true, 'Tab from the last field reaches Save')
      const keySaved = put('120')
      await page.keyboard.press('Enter')
      assert.equal((await keySaved).status(), 200)
      await form.getByText('Saved.').waitFor()
    })
    const got = (await stack.api('GET', '/drift/settings')).json as { enabled: boolean; mode: string; thresholds: { watch: number; alert: number; critical: number }; learning: { min_requests: number } }
    assert.equal(got.enabled, true)
    assert.equal(got.mode, 'enforce')
    assert.deepEqual(got.thresholds, { watch: 35, alert: 65, critical: 85 })
    assert.equal(got.learning.min_requests, 120)
  })

  test('lowering the review threshold asks to confirm; cancel keeps it, confirm saves it', async () => {
    const before = ((await stack.api('GET', '/review-settings')).json as { minimum_confidence_score: number }).minimum_confidence_score
    const lower = Math.round((before - 0.25) * 100) / 100
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/settings', 'Settings')
      const score = page.getByLabel('Minimum confidence score (0–1)')
      await until('the threshold loaded', async () => (await score.inputValue()) !== '')
      await score.fill(String(lower))
      await page.getByRole('button', { name: 'Save threshold' }).click()
      const dialog = page.getByRole('dialog', { name: 'Lower the review threshold?' })
      await dialog.waitFor()
      await checkState(page, 'settings lower threshold confirm')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      assert.equal(((await stack.api('GET', '/review-settings')).json as { minimum_confidence_score: number }).minimum_confidence_score, before)
      await page.getByRole('button', { name: 'Save threshold' }).click()
      await dialog.getByRole('button', { name: 'Lower it' }).click()
      await page.getByText(`Saved: threshold ${lower}.`).waitFor()
    })
    assert.equal(((await stack.api('GET', '/review-settings')).json as { minimum_confidence_score: number }).minimum_confidence_score, lower)
  })

  test('history: filters live in the URL hash and survive a reload; CSV and JSON export the shown rows', async () => {
    const ids: Record<string, string> = {}
    for (const [name, approved] of [['approved', true], ['denied', false]] as const) {
      const r = await stack.clearance({ amount: 5000, currency: 'usd', customer: `cus_${name}` }, `agent-${name}`)
      const id = (r.json as { request_id: string }).request_id
      assert.ok(typeof id === 'string', r.text)
      const d = await stack.api('POST', `/reviews/${id}/decision`, { approved, review_reason: `e2e ${name}, "quoted", =1+1` })
      assert.equal(d.status, 200, d.text)
      ids[name] = id
    }
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, '#/history', 'Review history')
      await page.getByRole('row', { name: /agent-approved/ }).waitFor()
      await page.getByLabel('Status').selectOption('denied')
      await page.getByLabel('Agent contains').fill('agent-')
      await until('the URL carries the filters', async () => /#\/history\?status=denied&agent=agent-$/.test(page.url()))
      await page.reload()
      await page.getByRole('heading', { level: 1, name: 'Review history' }).waitFor()
      await page.getByRole('row', { name: /agent-denied/ }).waitFor()
      assert.equal(await page.getByLabel('Status').inputValue(), 'denied')
      assert.equal(await page.getByLabel('Agent contains').inputValue(), 'agent-')
      assert.equal(await page.getByRole('row', { name: /agent-approved/ }).count(), 0, 'the filter survived the reload')
      const link = page.getByRole('link', { name: `Ledger entry and proof bundle of ${ids['denied']}` })
      assert.equal(await link.getAttribute('href'), `#/ledger/${ids['denied']}`)
      await checkState(page, 'history filtered')

      const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()])
      assert.match(csv.suggestedFilename(), /^review-history-.*\.csv$/)
      const text = readFileSync((await csv.path())!, 'utf8')
      const lines = text.trim().split('\r\n')
      assert.equal(lines[0], 'request_id,tool,agent,status,by,via,reason,requested_at,decided_at')
      assert.equal(lines.length, 2, text)
      assert.ok(lines[1]!.startsWith(`${ids['denied']},create_stripe_payment,agent-denied,denied,`), text)
      assert.ok(lines[1]!.includes('"e2e denied, ""quoted"", =1+1"'), `quoted CSV field: ${text}`)
      assert.ok(!text.includes(ids['approved']!), 'only the shown rows')

      const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()])
      const rows = JSON.parse(readFileSync((await json.path())!, 'utf8')) as { request_id: string; status: string }[]
      assert.deepEqual(rows.map((r) => [r.request_id, r.status]), [[ids['denied'], 'denied']])
    })
  })

  test('approving a review whose timeout effect is allow confirms in a dialog with the key arguments; cancel decides nothing', async () => {
    const r = await stack.clearance({ amount: 7300, currency: 'usd', customer: 'cus_timeout' }, 'agent-timeout')
    assert.equal(r.json['status'], 'pending_review', r.text)
    const id = r.json['request_id'] as string
    assert.equal(((await stack.api('GET', `/reviews/${id}`)).json as { timeout_effect: string }).timeout_effect, 'allow')
    await withPage(async ({ page }) => {
      await gotoPage(page, stack, `#/reviews/${id}`, 'Review queue')
      await page.locator('#decide-form').waitFor()
      await page.getByText('Allow on timeout: it is approved if nobody decides').waitFor()
      await page.locator('#decide-approve').check()
      await page.getByRole('button', { name: 'Approve create_stripe_payment' }).click()
      const dialog = page.getByRole('dialog', { name: 'Approve create_stripe_payment?' })
      await dialog.waitFor()
      const text = await dialog.innerText()
      for (const part of ['amount', '7300', 'currency', 'usd', 'customer', 'cus_timeout', 'agent-timeout']) assert.ok(text.includes(part), `the dialog repeats ${part}: ${text}`)
      await checkState(page, 'review approve allow-on-timeout confirm')
      await dialog.getByRole('button', { name: 'Cancel' }).click()
      await until('the dialog closes', async () => (await page.getByRole('dialog').count()) === 0)
      assert.equal(((await stack.api('GET', `/reviews/${id}`)).json as { status: string }).status, 'pending_review', 'cancel decides nothing')
      await page.getByRole('button', { name: 'Approve create_stripe_payment' }).click()
      const decided = page.waitForResponse((res) => res.url().endsWith(`/reviews/${id}/decision`) && res.request().method() === 'POST')
      await dialog.getByRole('button', { name: 'Approve create_stripe_payment' }).click()
      assert.equal((await decided).status(), 200)
    })
    assert.notEqual(((await stack.api('GET', `/reviews/${id}`)).json as { status: string }).status, 'pending_review')
  })
})
