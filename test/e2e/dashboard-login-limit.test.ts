// The login rate limit in a real browser (issue 18 "Tests", security; contract §1: per account 5
// failures / 15 min, per IP 10 / 5 min): after five wrong passwords the sixth attempt is 429 with
// Retry-After, and the page says how long to wait and holds the button until then. Its own instance,
// so the other suites' sign-ins never count against these limits.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { ADMIN_EMAIL, checkState, launchBrowser, openPage, setupAdminFromNode, skipWithoutBrowser, startDashboardStack } from './dashboard-harness.ts'
import type { DashboardStack } from './dashboard-harness.ts'

describe('dashboard login rate limit (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  let stack: DashboardStack
  let browser: Browser

  before(async () => {
    stack = await startDashboardStack()
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await stack?.close()
  })

  test('login rate limit: the sixth wrong password is 429 with Retry-After, and the page shows the wait and holds the button', async () => {
    await setupAdminFromNode(stack)
    const w = await openPage(browser)
    try {
      const { page } = w
      await page.goto(stack.uiUrl)
      await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
      const statuses: number[] = []
      let retryAfter: string | null = null
      for (let i = 0; i < 6; i++) {
        await page.getByLabel('Email').fill(ADMIN_EMAIL)
        await page.getByLabel('Password', { exact: true }).fill(`wrong password number ${i}`)
        const answer = page.waitForResponse((r) => r.url().endsWith('/ui/api/login'))
        await page.getByRole('button', { name: 'Sign in' }).click()
        const res = await answer
        statuses.push(res.status())
        if (res.status() === 429) {
          retryAfter = (await res.headerValue('retry-after')) ?? null
          assert.equal(((await res.json()) as { code?: string }).code, 'rate_limited')
          break
        }
        await page.getByRole('alert').waitFor()
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
      assert.ok(retryAfter !== null && /^\d+$/.test(retryAfter) && Number(retryAfter) > 0, `Retry-After: ${retryAfter}`)
      const alert = page.getByRole('alert')
      await alert.waitFor()
      assert.match((await alert.textContent()) ?? '', /Too many sign-in attempts\. Try again in \d+ seconds\./)
      const seconds = Number(/in (\d+) seconds/.exec((await alert.textContent()) ?? '')?.[1])
      assert.ok(seconds > 0 && seconds <= Number(retryAfter), `the page's wait ${seconds} s comes from Retry-After ${retryAfter}`)
      assert.equal(await page.getByRole('button', { name: 'Sign in' }).isDisabled(), true, 'the button waits out the limit')
      await checkState(page, 'sign-in rate limited')
      // The right password is refused too while the account is limited (no oracle for the attacker).
      const right = await stack.api('POST', '/ui/api/login', { email: ADMIN_EMAIL, password: 'correct horse battery staple' }, null, { origin: stack.vaultUrl })
      assert.equal(right.status, 429, right.text)
      w.assertClean()
    } finally {
      await w.close()
    }
  })
})
