// One real-browser smoke test of the dashboard (headless Debian chromium through playwright-core)
// against a real Vault server: first-admin setup with the one-time token, sign out and in, a pending
// review rendered in the queue with its full arguments, approved from the page, and the clearance
// approved on the API afterwards — with no page error and no CSP violation on the way. The full
// e2e/axe/security suite lives in test/e2e (issue 18).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import type { ConsoleMessage } from 'playwright-core'
import { DEFAULT_TENANT_ID, newApiKey, startVaultServer } from '../../src/vault/index.ts'
import { call, PAYMENTS_POLICY, vaultConfig } from '../vault/helpers.ts'

const CHROMIUM = '/usr/bin/chromium'
const skip = existsSync(CHROMIUM) ? false : process.env.CI === 'true' ? false : `${CHROMIUM} is absent (CI installs it; apt-get install chromium to run this here)`
const ADMIN_KEY = 'sk_test_ui_browser_admin_key'
const EMAIL = 'ana@example.com'
const PASSWORD = 'correct horse battery staple 42'

test('browser: setup → sign out → sign in → the queue shows a pending review → approve it; no page error, no CSP violation', { skip, timeout: 240_000 }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-ui-browser-'))
  const server = await startVaultServer({ config: vaultConfig(dataDir, { bootstrapApiKey: ADMIN_KEY }) })
  t.after(async () => {
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const base = `http://127.0.0.1:${server.port}`
  const agent = newApiKey(DEFAULT_TENANT_ID, 'agent', 'browser-agent', 'test', Date.now())
  assert.equal((await server.context.store.write([{ op: 'api_key_insert', key: agent.record }])).ok, true)
  assert.equal((await call(base, 'POST', '/register-policy', { key: ADMIN_KEY, body: PAYMENTS_POLICY })).status, 200)

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic'] })
  t.after(() => browser.close())
  const context = await browser.newContext({ locale: 'en-US', timezoneId: 'UTC', reducedMotion: 'reduce', viewport: { width: 1280, height: 900 } })
  // Generous: the CI machine runs two test files at once (and scrypt costs ~0.4 s per login).
  context.setDefaultTimeout(60_000)
  // Counted in the page itself: every CSP violation fires securitypolicyviolation on the document.
  // (Written as source text: this file is type-checked without the DOM library.)
  await context.addInitScript({
    content: "window.__cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI))",
  })
  const page = await context.newPage()
  const problems: string[] = []
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('console', (m: ConsoleMessage) => {
    if (m.type() === 'error' && /Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`console: ${m.text()}`)
  })

  // 1. First-admin setup with the token the server wrote to the data dir.
  await page.goto(`${base}/ui/`)
  await page.getByRole('heading', { name: 'Set up the first administrator' }).waitFor()
  const token = readFileSync(join(dataDir, 'setup-token'), 'utf8').trim()
  await page.getByLabel('Setup token').fill(token)
  await page.getByLabel('Email').fill(EMAIL)
  await page.getByLabel('Password (at least 12 characters)').fill(PASSWORD)
  await page.getByLabel('Password again').fill(PASSWORD)
  await page.getByRole('button', { name: 'Create administrator' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
  assert.ok((await page.getByRole('navigation', { name: 'Main' }).textContent())!.includes('Review queue'))

  // 2. Sign out, then sign in with the new account.
  await page.getByRole('button', { name: 'Sign out' }).click()
  await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
  await page.getByLabel('Email').fill(EMAIL)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()

  // 3. An agent asks for a big payment: it goes to review and shows up in the queue.
  const args = { amount: 5000, customer_id: 'cus_browser', memo: 'pay\u202Eevil' }
  const clearance = await call(base, 'POST', '/request-clearance', { key: agent.apiKey, body: { tool_name: 'create_stripe_payment', tool_args: args, agent_id: 'payments-agent' } })
  assert.equal(clearance.body.status, 'pending_review', clearance.text)
  const requestId = clearance.body.request_id as string
  await page.goto(`${base}/ui/#/reviews`)
  const row = page.locator(`[data-review-id="${requestId}"]`)
  await row.waitFor()
  assert.match((await row.textContent())!, /create_stripe_payment/)
  await row.getByRole('link').click()
  const argsBlock = page.getByRole('region', { name: 'Arguments (canonical JSON, complete)' })
  await argsBlock.waitFor()
  const shown = (await argsBlock.textContent())!
  assert.ok(shown.includes('"customer_id": "cus_browser"'), shown)
  assert.ok(shown.includes('pay\\u202Eevil'), 'the bidi override is shown escaped')
  assert.ok(!shown.includes('\u202E'))
  await page.getByText('Hidden characters in these arguments').waitFor()

  // 4. Neither option is preselected; approve.
  assert.equal(await page.getByRole('radio', { name: 'Approve' }).isChecked(), false)
  assert.equal(await page.getByRole('radio', { name: 'Deny' }).isChecked(), false)
  await page.getByRole('radio', { name: 'Approve' }).check()
  await page.getByRole('button', { name: 'Approve create_stripe_payment' }).click()
  await row.waitFor({ state: 'detached' })
  const status = await call(base, 'GET', `/clearance-status/${requestId}`, { key: agent.apiKey })
  assert.equal(status.body.status, 'approved', status.text)
  assert.equal(status.body.reviewer, EMAIL, 'the decision is recorded under the session user')

  const violations = await page.evaluate(() => (globalThis as unknown as { __cspViolations: string[] }).__cspViolations)
  assert.deepEqual(violations, [])
  assert.deepEqual(problems, [])
})
