// The dashboard's main journey in a real browser (issue 18 "Tests"): first-admin setup, sign-in, an
// API key created in the page and used from Node, a policy upload with an error then fixed, a
// dry-run, a review arriving live over SSE and approved by keyboard only, its token through the
// gateway to a real upstream, its proof bundle verified in the page (and tampered bundles failing at
// the step that catches them), every page checked with axe and photographed, then sign-out.
// The tests run in order and share one all-in-one instance; each has its own browser context.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { statSync } from 'node:fs'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { send } from '../helpers/http-client.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  checkState,
  csrfTokenOf,
  fetchInPage,
  gotoPage,
  launchBrowser,
  loginInPage,
  openPage,
  skipWithoutBrowser,
  startDashboardStack,
  until,
} from './dashboard-harness.ts'
import type { DashboardStack, Watched } from './dashboard-harness.ts'

// DOM globals, used only inside page.evaluate callbacks (they run in the browser; the test project
// compiles without lib "dom", and these module-local declarations do not leak into other files).
declare const document: any
declare const window: any
declare function getComputedStyle(el: any): any

type StorageState = Awaited<ReturnType<BrowserContext['storageState']>>

const BAD_POLICY = `policy_id: refunds-e2e
tools: [stripe_refund]
rules:
  - id: small-refund
    when: tool_args.amount <= 50
    effect: allow: yes
    reason: small refunds are automatic
`
const GOOD_POLICY = BAD_POLICY.replace('effect: allow: yes', 'effect: allow')

/** The step that must catch each tampered vector bundle (test/ledger/bundle.vectors.test.ts). */
const CAUGHT_BY: Record<string, string> = {
  receipt_signature_flipped: 'receipt_signature',
  event_leaf_hash_changed: 'leaf_hash',
  inclusion_path_sibling_changed: 'inclusion_proof',
  inclusion_leaf_index_changed: 'inclusion_proof',
  checkpoint_root_changed: 'inclusion_checkpoint_payload',
  consistency_path_changed: 'consistency_proof',
  keys_wrong_public_key: 'keys',
  keys_missing_signer: 'keys',
  NOT_CHECKED_event_tool_args_changed: 'event_hash',
  event_hash_changed: 'event_hash',
  NOT_CHECKED_leaf_hash_not_derived_from_event_hash: 'leaf_hash',
  NOT_CHECKED_checkpoint_hash_changed: 'inclusion_checkpoint_hash',
  NOT_CHECKED_to_checkpoint_signature_garbage: 'to_checkpoint_signature',
  NOT_CHECKED_receipt_algorithm: 'receipt_algorithm',
}

/** The focused element draws a visible indicator (an outline or a box shadow). */
async function assertVisibleFocus(page: Page, what: string): Promise<void> {
  const focus = await page.evaluate(() => {
    const el = document.activeElement
    if (el === null || el === document.body) return null
    const cs = getComputedStyle(el)
    return { tag: el.tagName, text: (el.textContent ?? '').slice(0, 60), outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth), boxShadow: cs.boxShadow }
  })
  assert.ok(focus !== null, `${what}: nothing has focus`)
  const visible = (focus.outlineStyle !== 'none' && focus.outlineWidth >= 1) || (focus.boxShadow !== 'none' && focus.boxShadow !== '')
  assert.ok(visible, `${what}: the focused ${focus.tag} "${focus.text}" shows no focus indicator (${JSON.stringify(focus)})`)
}

describe('dashboard journey (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  let stack: DashboardStack
  let browser: Browser
  let admin: StorageState | null = null
  let agentKey: string | null = null
  let reviewId: string | null = null
  /** The first clearance (the new key's, approved): older than later checkpoints, so its bundle has a consistency proof. */
  let firstRequestId: string | null = null

  before(async () => {
    stack = await startDashboardStack()
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await stack?.close()
  })

  /** A fresh context for one test, signed in as the admin when `signedIn`; CSP/page errors fail it. */
  async function withPage(signedIn: boolean, body: (w: Watched) => Promise<void>): Promise<void> {
    if (signedIn) assert.ok(admin !== null, 'needs the admin session from the setup/login tests')
    const w = await openPage(browser, signedIn && admin !== null ? { storageState: admin } : {})
    try {
      await body(w)
      w.assertClean()
    } finally {
      await w.close()
    }
  }

  test('setup: the first admin needs the one-time token from the data dir; then 409 setup_done and the page offers sign-in', async () => {
    const file = `${stack.dataDir}/setup-token`
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the setup token file is readable by its owner only')
    // Read once: the server may remove the file when setup is done.
    const token = stack.setupToken()
    await withPage(false, async ({ page, context }) => {
      await page.goto(stack.uiUrl)
      await page.getByRole('heading', { name: 'Set up the first administrator' }).waitFor()
      await checkState(page, 'setup')
      await page.getByLabel('Setup token').fill('not-the-token')
      await page.getByLabel('Email').fill(ADMIN_EMAIL)
      await page.getByLabel(/^Password \(at least/).fill(ADMIN_PASSWORD)
      await page.getByLabel('Password again').fill(ADMIN_PASSWORD)
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await page.getByRole('alert').waitFor()
      await checkState(page, 'setup with a wrong token')
      assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0, 'a wrong setup token must not sign anyone in')

      await page.getByLabel('Setup token').fill(token)
      await page.getByRole('button', { name: 'Create administrator' }).click()
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      await page.getByRole('heading', { level: 1, name: 'API keys' }).waitFor()
      await checkState(page, 'keys after setup')

      const again = await fetchInPage(page, 'POST', '/ui/api/setup', { body: { setup_token: token, email: 'second@example.com', password: ADMIN_PASSWORD }, csrf: await csrfTokenOf(page) })
      assert.equal(again.status, 409, again.text)
      assert.equal(again.code, 'setup_done')
      admin = await context.storageState()
    })
    // A visitor now gets sign-in, never the setup form.
    await withPage(false, async ({ page }) => {
      await page.goto(stack.uiUrl)
      await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
      assert.equal(await page.getByRole('heading', { name: 'Set up the first administrator' }).count(), 0)
      await checkState(page, 'sign-in')
    })
  })

  test('login: a wrong password and an unknown email get the same generic error; the right password opens the shell', async () => {
    await withPage(false, async ({ page, context }) => {
      await page.goto(stack.uiUrl)
      await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
      const errors: string[] = []
      for (const [email, password] of [[ADMIN_EMAIL, 'wrong password, long enough'], ['nobody@example.com', ADMIN_PASSWORD]] as const) {
        await page.getByLabel('Email').fill(email)
        await page.getByLabel('Password', { exact: true }).fill(password)
        const answer = page.waitForResponse((r) => r.url().endsWith('/ui/api/login'))
        await page.getByRole('button', { name: 'Sign in' }).click()
        const res = await answer
        assert.equal(res.status(), 401)
        assert.equal(((await res.json()) as { code?: string }).code, 'login_failed')
        errors.push((await page.getByRole('alert').textContent()) ?? '')
      }
      assert.equal(errors[0], errors[1], 'one generic message whether the account exists or not')
      await checkState(page, 'sign-in error')
      await loginInPage(page, stack.uiUrl, ADMIN_EMAIL, ADMIN_PASSWORD)
      await page.getByRole('heading', { level: 1 }).first().waitFor()
      await checkState(page, 'overview')
      admin = await context.storageState()
    })
  })

  test('API key: created in the page, its secret shown once, works from Node against /request-clearance', async () => {
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, '#/keys', 'API keys')
      await page.getByLabel('Label').fill('e2e agent key')
      await page.getByLabel('Role').selectOption('agent')
      await page.getByRole('button', { name: 'Create key' }).click()
      await page.getByRole('heading', { name: 'Copy the new key now' }).waitFor()
      const secret = await page.getByLabel('API key').inputValue()
      assert.match(secret, /^sk_/)
      await checkState(page, 'keys secret shown once')
      await page.getByRole('button', { name: 'I have stored it' }).click()
      assert.equal(await page.getByText(secret).count(), 0)
      await page.reload()
      await page.getByRole('cell', { name: 'e2e agent key' }).waitFor()
      assert.equal(await page.content().then((html) => html.includes(secret)), false, 'the secret is never shown again')

      // curl-equivalent: the new key from Node.
      const r = await stack.clearance({ amount: 250, currency: 'usd' }, 'agent-7', secret)
      assert.equal(r.status, 200, r.text)
      assert.equal(r.json['status'], 'approved')
      assert.equal(typeof r.json['token'], 'string')
      agentKey = secret
      firstRequestId = r.json['request_id'] as string

      // The revoke dialog (an open dialog is a page state too); cancelled.
      await page.getByRole('row', { name: /e2e agent key/ }).getByRole('button', { name: 'Revoke…' }).click()
      await page.getByRole('dialog').waitFor()
      await checkState(page, 'keys revoke dialog')
      await page.getByRole('button', { name: 'Cancel' }).click()
    })
  })

  test('policy: an upload with an error shows the line and column from the server; the fixed one is uploaded and decides clearances', async () => {
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, '#/policies', 'Policies')
      await page.getByLabel('Policy text').fill(BAD_POLICY)
      await page.getByRole('button', { name: 'Validate and upload' }).click()
      const alert = page.getByRole('alert').filter({ hasText: 'problem' })
      await alert.waitFor()
      assert.match((await alert.textContent()) ?? '', /line 6, column \d+/)
      await checkState(page, 'policy upload error')
      const before = await stack.api('POST', '/request-clearance', { tool_name: 'stripe_refund', tool_args: { amount: 20 }, agent_id: 'agent-7' })
      assert.equal(before.json['status'], 'denied', `before the upload no policy names stripe_refund: ${before.text}`)

      await page.getByLabel('Policy text').fill(GOOD_POLICY)
      await page.getByRole('button', { name: 'Validate and upload' }).click()
      await page.getByText('The policy is valid and was uploaded.').waitFor()
      await checkState(page, 'policy uploaded')
      const afterUpload = await stack.api('POST', '/request-clearance', { tool_name: 'stripe_refund', tool_args: { amount: 20 }, agent_id: 'agent-7' }, agentKey ?? undefined)
      assert.equal(afterUpload.json['status'], 'approved', afterUpload.text)
    })
  })

  test('dry-run: sample arguments show the decision and which rules fired', async () => {
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, '#/policies', 'Policies')
      await page.getByLabel('Tool name').fill('stripe_refund')
      await page.getByLabel('Tool arguments (JSON)').fill('{"amount": 20}')
      await page.getByRole('button', { name: 'Run' }).click()
      const result = page.getByRole('status').filter({ hasText: 'Decision:' })
      await result.waitFor()
      assert.match((await result.textContent()) ?? '', /Decision:\s*(allow|approved?)/i)
      assert.match((await result.getByRole('row', { name: /small-refund/ }).textContent()) ?? '', /yes/)
      await checkState(page, 'policy dry-run allowed')
      await page.getByLabel('Tool arguments (JSON)').fill('{"amount": 80}')
      await page.getByRole('button', { name: 'Run' }).click()
      await until('the dry-run of 80 shows a denial', async () => /Decision:\s*(deny|denied)/i.test((await result.textContent()) ?? ''))
    })
  })

  test('live: a clearance that goes to review arrives in the open queue without a reload (SSE)', async () => {
    await withPage(true, async ({ page, eventStreamOpen }) => {
      await gotoPage(page, stack, '#/reviews', 'Review queue')
      await page.getByText('Nothing waits for review.').waitFor()
      await checkState(page, 'queue empty')
      await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true))
      // Let the EventSource connect before the event happens (the live path, not a reload, must bring it).
      await eventStreamOpen()
      const r = await stack.clearance({ amount: 5000, currency: 'usd', memo: 'invoice 7\u202e' }, 'agent-7', agentKey ?? undefined)
      assert.equal(r.json['status'], 'pending_review', r.text)
      reviewId = r.json['request_id'] as string
      await page.locator(`[data-review-id="${reviewId}"]`).waitFor({ timeout: 10_000 })
      assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the row arrived without a reload')
      await until('the polite live region announces the arrival', async () => /new in the queue/.test((await page.locator('[aria-live="polite"]').last().textContent()) ?? ''))
      await checkState(page, 'queue with a live arrival')
    })
  })

  test('keyboard only: ?, Escape, j, Enter, a, Ctrl+Enter approve the review with visible focus; the recorded reviewer is the session user', async () => {
    if (reviewId === null) {
      // The live test failed before its clearance: make one here, so this walk (and the gateway and
      // ledger tests after it) do not hang on the live stream.
      const r = await stack.clearance({ amount: 5000, currency: 'usd', memo: 'invoice 7\u202e' }, 'agent-7', agentKey ?? undefined)
      assert.equal(r.json['status'], 'pending_review', r.text)
      reviewId = r.json['request_id'] as string
    }
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, '#/reviews', 'Review queue')
      await page.locator(`[data-review-id="${reviewId}"]`).waitFor()
      await page.keyboard.press('?')
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor()
      await checkState(page, 'queue shortcut help dialog')
      await page.keyboard.press('Escape')
      await until('the help dialog closes', async () => (await page.getByRole('dialog').count()) === 0)

      await page.keyboard.press('j')
      const rowLink = page.locator(`[data-review-id="${reviewId}"] a`)
      await until('j focuses the first row', async () => rowLink.evaluate((el) => el === document.activeElement))
      await assertVisibleFocus(page, 'after j')
      await page.keyboard.press('Enter')
      await page.waitForURL(`**/ui/#/reviews/${reviewId}`)
      await page.locator('#decide-form').waitFor()
      assert.equal(await page.locator('#decide-approve').isChecked(), false, 'neither option is preselected')
      assert.equal(await page.locator('#decide-deny').isChecked(), false, 'neither option is preselected')
      // The bidi override in the memo is shown escaped and flagged, never rendered raw.
      assert.match((await page.locator('pre.args').textContent()) ?? '', /\\u202e/i)
      await checkState(page, 'review detail')

      await page.keyboard.press('a')
      await until('a chooses Approve', async () => page.locator('#decide-approve').isChecked())
      await assertVisibleFocus(page, 'after a')
      const decided = page.waitForResponse((res) => res.url().endsWith(`/reviews/${reviewId}/decision`) && res.request().method() === 'POST')
      await page.keyboard.press('Control+Enter')
      const res = await decided
      assert.equal(res.status(), 200, await res.text())
      await until('the decided row leaves the queue', async () => (await page.locator(`[data-review-id="${reviewId}"]`).count()) === 0)
      await until('the decision is announced', async () => /Approved create_stripe_payment/.test((await page.locator('[aria-live="polite"]').last().textContent()) ?? ''))
      await checkState(page, 'queue after approval')
    })
    const item = await stack.api('GET', `/reviews/${reviewId}`)
    assert.equal(item.status, 200, item.text)
    const decision = item.json['decision'] as { approved: boolean; by: string; via: string } | undefined
    assert.equal(decision?.approved, true)
    assert.equal(decision?.by, ADMIN_EMAIL, 'the reviewer recorded is the session user')
    assert.equal(decision?.via, 'dashboard')
  })

  test('bulk: approving two selected reviews confirms with the count, shows per-item results, and records the session user via dashboard', async () => {
    const ids: string[] = []
    for (const amount of [1500, 1600]) {
      const r = await stack.clearance({ amount, currency: 'usd' }, 'agent-bulk', agentKey ?? undefined)
      assert.equal(r.json['status'], 'pending_review', r.text)
      ids.push(r.json['request_id'] as string)
    }
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, '#/reviews', 'Review queue')
      for (const id of ids) await page.locator(`[data-review-id="${id}"] input[type="checkbox"]`).check()
      await page.getByRole('button', { name: 'Approve selected…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Approve 2 reviews?' })
      await dialog.waitFor()
      await checkState(page, 'queue bulk approve dialog')
      const answer = page.waitForResponse((res) => res.url().endsWith('/reviews/bulk-decision'))
      await dialog.getByRole('button', { name: 'Approve 2 reviews' }).click()
      assert.equal((await answer).status(), 200)
      const results = page.getByRole('status').filter({ hasText: 'Bulk results' })
      await results.waitFor()
      for (const id of ids) assert.match((await results.locator('li', { hasText: id }).textContent()) ?? '', /: done$/)
      await until('the approved rows leave the queue', async () => (await page.locator(`[data-review-id="${ids[0]}"], [data-review-id="${ids[1]}"]`).count()) === 0)
      await checkState(page, 'queue bulk results')
    })
    for (const id of ids) {
      const item = await stack.api('GET', `/reviews/${id}`)
      const decision = item.json['decision'] as { approved: boolean; by: string; via: string } | undefined
      assert.equal(decision?.approved, true, item.text)
      assert.equal(decision?.by, ADMIN_EMAIL, 'the reviewer recorded is the session user')
      assert.equal(decision?.via, 'dashboard', 'a bulk decision made in the dashboard is recorded via dashboard')
    }
  })

  test('gateway: the approved review\'s token works once through the gateway and the real upstream receives the call', async () => {
    assert.ok(reviewId !== null, 'needs the approved review')
    const status = await stack.api('GET', `/clearance-status/${reviewId}`, undefined, agentKey ?? undefined)
    assert.equal(status.json['status'], 'approved', status.text)
    const token = status.json['token'] as string
    const hits = stack.upstream.hits
    const call = await send(`${stack.gatewayUrl}/pay/charges`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"amount":5000}' })
    assert.equal(call.status, 200, call.text)
    assert.equal(stack.upstream.hits, hits + 1)
    assert.equal(stack.upstream.lastRequest?.headers['x-ledgix-decision'], 'approved')
    assert.equal(stack.upstream.lastRequest?.headers['x-ledgix-tool'], 'create_stripe_payment')
    const replay = await send(`${stack.gatewayUrl}/pay/charges`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{"amount":5000}' })
    assert.equal(replay.status, 409)
    assert.equal(stack.upstream.hits, hits + 1)
  })

  test('ledger: the approved request\'s proof bundle verifies in the browser, every step ✓', async () => {
    assert.ok(reviewId !== null, 'needs the approved review')
    await until('the decision is sealed into a checkpoint', async () => (await stack.api('GET', `/ledger/proof/bundle?request_id=${reviewId}`)).status === 200, 15_000)
    await withPage(true, async ({ page }) => {
      await gotoPage(page, stack, `#/ledger/${reviewId}`, 'Ledger')
      await page.getByRole('button', { name: 'Verify in this browser' }).click()
      await page.getByRole('heading', { name: /The bundle verifies/ }).waitFor()
      const steps = await page.locator('ol.steps li').evaluateAll((els) => els.map((e) => ({ step: e.getAttribute('data-step'), cls: e.className, text: e.textContent })))
      assert.ok(steps.length >= 10, `expected every step listed, got ${JSON.stringify(steps)}`)
      assert.deepEqual(steps.filter((s) => s.cls.includes('step-fail')), [])
      for (const must of ['keys', 'event_hash', 'leaf_hash', 'receipt_signature', 'inclusion_checkpoint_signature', 'inclusion_proof']) {
        assert.ok(steps.some((s) => s.step === must && s.cls.includes('step-ok') && s.text?.includes('✓')), `step ${must} must show ✓: ${JSON.stringify(steps)}`)
      }
      await checkState(page, 'ledger bundle verified')

      // An older entry: its bundle also proves the checkpoint it was sealed in is consistent with the
      // latest one, so every step, the consistency proof included, is ✓ (only the chain link between two
      // checkpoints may be skipped, when they are not adjacent).
      assert.ok(firstRequestId !== null, 'needs the first clearance from the API key test')
      await gotoPage(page, stack, `#/ledger/${firstRequestId}`, 'Ledger')
      await page.getByRole('button', { name: 'Verify in this browser' }).click()
      await page.getByRole('heading', { name: /The bundle verifies/ }).waitFor()
      const older = await page.locator('ol.steps li').evaluateAll((els) => els.map((e) => ({ step: e.getAttribute('data-step'), cls: e.className })))
      assert.deepEqual(older.filter((s) => !s.cls.includes('step-ok') && !(s.step === 'consistency_chain' && s.cls.includes('step-skipped'))), [], 'every step ✓')
      assert.ok(older.some((s) => s.step === 'consistency_proof' && s.cls.includes('step-ok')), JSON.stringify(older))
    })
  })

  test('ledger: a bundle tampered in transit (one character of the receipt signature) fails naming the step', async () => {
    assert.ok(reviewId !== null, 'needs the approved review')
    await withPage(true, async ({ page }) => {
      await page.route('**/ledger/proof/bundle?*', async (route) => {
        const res = await route.fetch()
        const bundle = (await res.json()) as { event: { receipt_signature: string } }
        const sig = bundle.event.receipt_signature
        const i = Math.floor(sig.length / 2)
        bundle.event.receipt_signature = sig.slice(0, i) + (sig[i] === 'A' ? 'B' : 'A') + sig.slice(i + 1)
        await route.fulfill({ response: res, json: bundle })
      })
      await gotoPage(page, stack, `#/ledger/${reviewId}`, 'Ledger')
      await page.getByRole('button', { name: 'Verify in this browser' }).click()
      await page.getByRole('heading', { name: 'Verification failed at: receipt signature' }).waitFor()
      assert.match((await page.locator('li[data-step="receipt_signature"]').getAttribute('class')) ?? '', /step-fail/)
      assert.match((await page.locator('li[data-step="receipt_signature"]').textContent()) ?? '', /✗/)
      await checkState(page, 'ledger bundle tampered')
    })
  })

  test('ledger: each of the 14 tampered vector bundles fails in the page at the step that must catch it', { skip: skipWithoutVectors }, async () => {
    const file = loadVector<{ jwks: unknown; bundle_wire: unknown; tampered: { name: string; bundle: unknown }[] }>('proof-bundle.json')
    await withPage(true, async ({ page }) => {
      // The vectors are signed by the test keys: pin their JWKS in place of the Vault's.
      await page.route('**/.well-known/jwks.json', (route) => route.fulfill({ json: file.jwks }))
      await page.route('**/ledger/proof/bundle?*', (route) => route.fulfill({ json: file.bundle_wire }))
      await gotoPage(page, stack, '#/ledger/vector-event-4', 'Ledger')
      await page.getByRole('button', { name: 'Verify in this browser' }).click()
      await page.getByRole('heading', { name: /The bundle verifies/ }).waitFor()
      const box = page.getByLabel('Bundle (JSON)')
      for (const t of file.tampered) {
        await box.fill(JSON.stringify(t.bundle, null, 2))
        await page.getByRole('button', { name: 'Verify in this browser' }).click()
        const step = page.locator(`li[data-step="${CAUGHT_BY[t.name]}"]`)
        await until(`${t.name} fails at ${CAUGHT_BY[t.name]}`, async () => /step-fail/.test((await step.getAttribute('class')) ?? ''))
        await page.getByRole('heading', { name: /Verification failed at:/ }).waitFor()
      }
    })
  })

  test('every page: axe finds no violation and each is photographed in light and dark', async () => {
    await withPage(true, async ({ page }) => {
      for (const [hash, heading] of [
        ['#/overview', 'Overview'],
        ['#/history', 'History'],
        ['#/keys', 'API keys'],
        ['#/settings', 'Settings'],
        ['#/ledger', 'Ledger'],
        ['#/users', 'Users'],
        ['#/account', 'Account'],
      ] as const) {
        await gotoPage(page, stack, hash, heading)
        // Let the page's own loads settle (a "Loading …" status is a state of its own).
        await until(`${heading} finished loading`, async () => (await page.getByText(/^Loading /).count()) === 0)
        await checkState(page, `page ${heading}`)
      }
    })
  })

  test('logout: signing out shows sign-in, and the signed-out session token is refused from then on', async () => {
    await withPage(true, async ({ page, context }) => {
      await gotoPage(page, stack, '#/overview', 'Overview')
      const cookie = (await context.cookies(stack.vaultUrl)).find((c) => /ledgix_session$/.test(c.name))
      assert.ok(cookie !== undefined, 'signed in with a session cookie')
      await page.getByRole('button', { name: 'Sign out' }).click()
      await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
      await checkState(page, 'signed out')
      const header = { cookie: `${cookie.name}=${cookie.value}` }
      const session = await stack.api('GET', '/ui/api/session', undefined, null, header)
      assert.equal(session.status, 200)
      assert.equal(session.json['user'], null, 'the old token no longer names a user')
      const reviews = await stack.api('GET', '/reviews', undefined, null, header)
      assert.equal(reviews.status, 401, reviews.text)
    })
  })
})
