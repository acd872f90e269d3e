// Who may do what in the dashboard, in a real browser (issue 18 "Tests", security): a viewer reads
// the queue but finds no way to decide and the API refuses it when it tries anyway; a user of another
// tenant sees nothing of this one (queue, review detail, keys, ledger, users, live events).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  checkState,
  csrfTokenOf,
  fetchInPage,
  gotoPage,
  loginFromNode,
  openSignedIn,
  sessionCookieOf,
  skipWithoutBrowser,
  until,
} from './dashboard-harness.ts'
import { dashboardSuite } from '../helpers/dashboard-suite.ts'

const VIEWER_EMAIL = 'viewer@example.com'
const VIEWER_PASSWORD = 'viewer password, long enough'
const OTHER_TENANT = 'tenant-other'
const OTHER_EMAIL = 'admin@other.example'
const OTHER_PASSWORD = 'other tenant admin password'

describe('dashboard roles and tenants (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  const suite = dashboardSuite()
  const { adminSession, withPage } = suite

  async function pendingReview(key?: string): Promise<string> {
    const r = await suite.stack.clearance({ amount: 3100, currency: 'usd' }, 'agent-7', key)
    assert.equal(r.json['status'], 'pending_review', r.text)
    return r.json['request_id'] as string
  }

  test('viewer: reads the queue and the review, finds no decide or bulk controls, and the API refuses a decision with 403', async () => {
    // The admin adds the viewer in the Users page.
    await withPage(openSignedIn(suite.browser, suite.stack, adminSession()), async ({ page }) => {
      await gotoPage(page, suite.stack, '#/users', 'Users')
      await page.getByLabel('Email').fill(VIEWER_EMAIL)
      await page.locator('form[aria-labelledby="new-user-title"]').getByLabel('Role').selectOption('viewer')
      await page.getByLabel(/^Initial password/).fill(VIEWER_PASSWORD)
      await page.getByRole('button', { name: 'Add user' }).click()
      await page.getByRole('cell', { name: VIEWER_EMAIL }).waitFor()
      await checkState(page, 'users with a viewer')
    })
    const id = await pendingReview()
    const viewer = await loginFromNode(suite.stack, VIEWER_EMAIL, VIEWER_PASSWORD)
    await withPage(openSignedIn(suite.browser, suite.stack, viewer), async ({ page }) => {
      await gotoPage(page, suite.stack, '#/reviews', 'Review queue')
      await page.locator(`[data-review-id="${id}"]`).waitFor()
      assert.equal(await page.getByRole('checkbox').count(), 0, 'no row selection for bulk decisions')
      assert.equal(await page.getByRole('group', { name: 'Bulk actions' }).count(), 0)
      assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'no Users page in the navigation')
      await gotoPage(page, suite.stack, `#/reviews/${id}`, 'Review queue')
      await page.getByRole('heading', { level: 2, name: /create_stripe_payment/ }).waitFor()
      assert.equal(await page.locator('#decide-form').count(), 0, 'no decide form')
      assert.equal(await page.getByRole('radio').count(), 0, 'no Approve/Deny choice')
      await page.keyboard.press('a')
      await page.keyboard.press('Control+Enter')
      await checkState(page, 'review detail as viewer')

      const csrf = await csrfTokenOf(page)
      const decide = await fetchInPage(page, 'POST', `/reviews/${id}/decision`, { body: { approved: true, review_reason: 'viewer tries' }, csrf })
      assert.equal(decide.status, 403, decide.text)
      assert.equal(decide.code, 'forbidden')
      const settings = await fetchInPage(page, 'PUT', '/review-settings', { body: { minimum_confidence_score: 0.1 }, csrf })
      assert.equal(settings.status, 403, settings.text)
      const user = await fetchInPage(page, 'POST', '/users', { body: { email: 'sneaky@example.com', role: 'admin', password: 'sneaky password 12345' }, csrf })
      assert.equal(user.status, 403, user.text)
    })
    const status = await suite.stack.api('GET', `/clearance-status/${id}`)
    assert.equal(status.json['status'], 'pending_review', 'the viewer changed nothing')
  })

  test('tenants: a user of another tenant sees nothing of this one (queue, review, keys, ledger, users, live events)', async () => {
    // This tenant's data: a pending review and a ledger entry.
    const mine = await pendingReview()
    const approved = await suite.stack.clearance({ amount: 10 })
    assert.equal(approved.json['status'], 'approved', approved.text)
    // The other tenant, its admin key and its dashboard admin.
    assert.equal((await suite.stack.admin('POST', '/tenants', { tenant_id: OTHER_TENANT, name: 'Other' })).status, 201)
    const key = await suite.stack.admin('POST', `/tenants/${OTHER_TENANT}/api-keys`, { name: 'other admin', role: 'admin' })
    assert.equal(key.status, 201, key.text)
    const otherKey = key.json['api_key'] as string
    const created = await suite.stack.api('POST', '/users', { email: OTHER_EMAIL, role: 'admin', password: OTHER_PASSWORD }, otherKey)
    assert.equal(created.status, 201, created.text)
    // The login page sends no tenant: the other tenant's user signs in through the API with tenant_id.
    const login = await suite.stack.api('POST', '/ui/api/login', { email: OTHER_EMAIL, password: OTHER_PASSWORD, tenant_id: OTHER_TENANT }, null, { origin: suite.stack.vaultUrl })
    assert.equal(login.status, 200, login.text)
    const other = sessionCookieOf(login)

    await withPage(openSignedIn(suite.browser, suite.stack, other), async ({ page, eventStreamOpen }) => {
      await gotoPage(page, suite.stack, '#/reviews', 'Review queue')
      await page.getByText('Nothing waits for review.').waitFor()
      await checkState(page, 'queue of another tenant')
      const detail = await fetchInPage(page, 'GET', `/reviews/${mine}`)
      assert.equal(detail.status, 404, detail.text)
      const status = await fetchInPage(page, 'GET', `/clearance-status/${mine}`)
      assert.equal(status.status, 404, status.text)
      const decide = await fetchInPage(page, 'POST', `/reviews/${mine}/decision`, { body: { approved: true, review_reason: 'cross-tenant' }, csrf: await csrfTokenOf(page) })
      assert.equal(decide.status, 404, decide.text)
      const bundle = await fetchInPage(page, 'GET', `/ledger/proof/bundle?request_id=${approved.json['request_id'] as string}`)
      assert.equal(bundle.status, 404, bundle.text)

      for (const [path, leak] of [
        ['/reviews?status=all&limit=500', mine],
        ['/ledger?limit=100', approved.json['request_id'] as string],
        ['/users', 'admin@example.com'],
      ] as const) {
        const r = await fetchInPage(page, 'GET', path)
        assert.equal(r.status, 200, `${path}: ${r.text}`)
        assert.ok(!r.text.includes(leak), `${path} leaks ${leak} of the other tenant: ${r.text.slice(0, 400)}`)
      }
      await gotoPage(page, suite.stack, '#/ledger', 'Ledger')
      await until('the ledger page loaded', async () => (await page.getByText(/^Loading /).count()) === 0)
      assert.equal(await page.getByText(approved.json['request_id'] as string).count(), 0)
      const keys = await fetchInPage(page, 'GET', '/api-keys')
      assert.equal(keys.status, 200, `/api-keys: ${keys.text}`)
      assert.ok(!keys.text.includes('"bootstrap"'), `/api-keys leaks the other tenant's keys: ${keys.text.slice(0, 400)}`)
      await gotoPage(page, suite.stack, '#/reviews', 'Review queue')
      await page.getByText('Nothing waits for review.').waitFor()
      // Last (it needs the live stream): a review arriving in this tenant must not reach the other tenant's open queue; its own does.
      await eventStreamOpen()
      const late = await pendingReview()
      const own = await suite.stack.clearance({ amount: 2500 }, 'agent-other', otherKey)
      assert.equal(own.json['status'], 'pending_review', `the other tenant has the same file policies: ${own.text}`)
      await page.locator(`[data-review-id="${own.json['request_id'] as string}"]`).waitFor()
      assert.equal(await page.locator(`[data-review-id="${late}"]`).count(), 0)
      assert.equal(await page.locator(`[data-review-id="${mine}"]`).count(), 0)
    })
    assert.equal((await suite.stack.api('GET', `/clearance-status/${mine}`)).json['status'], 'pending_review')
  })
})
