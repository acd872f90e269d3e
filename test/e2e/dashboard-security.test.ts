// The dashboard's security in a real browser (issue 18 "Tests", design notes §5.4 and §5.6): the
// exact CSP and header strings, a CSP canary proving violations are seen, CSRF (a same-site form POST
// from another loopback port, a cross-site one from evil.test, a fetch without or with a foreign
// X-Ledgix-CSRF), session fixation, the session cookie's attributes, framing refused, and the
// "use HTTPS or localhost" page on a plain-HTTP non-loopback host (vault.test).
import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { send } from '../helpers/http-client.ts'
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  EXPECTED_UI_HEADERS,
  assertAccessible,
  checkState,
  csrfTokenOf,
  fetchInPage,
  gotoPage,
  loginFromNode,
  openPage,
  openSignedIn,
  screenshotDir,
  skipWithoutBrowser,
  startPageServer,
  until,
} from './dashboard-harness.ts'
import { dashboardSuite, formPostFrom } from '../helpers/dashboard-suite.ts'

// DOM globals, used only inside page.evaluate callbacks (the test project compiles without lib "dom").
declare const document: any

describe('dashboard security (headless Chromium, all-in-one)', { skip: skipWithoutBrowser }, () => {
  const suite = dashboardSuite()
  const { adminSession, withPage } = suite

  /** A pending review of the default tenant, by request id. */
  async function pendingReview(): Promise<string> {
    const r = await suite.stack.clearance({ amount: 4200, currency: 'usd' })
    assert.equal(r.json['status'], 'pending_review', r.text)
    return r.json['request_id'] as string
  }
  async function statusOf(id: string): Promise<string> {
    const r = await suite.stack.api('GET', `/clearance-status/${id}`)
    return r.json['status'] as string
  }

  test('headers: /ui/, a deep route, an asset, a missing asset and the plain-HTTP page carry the exact CSP and header strings', async () => {
    const index = await send(suite.stack.uiUrl)
    assert.equal(index.status, 200)
    const asset = /\/ui\/assets\/([^"]+\.js)"/.exec(index.text)?.[1]
    assert.ok(asset !== undefined, 'the index names its script asset')
    const answers = {
      '/ui/': index,
      '/ui/reviews': await send(`${suite.stack.vaultUrl}/ui/reviews`),
      [`/ui/assets/${asset}`]: await send(`${suite.stack.vaultUrl}/ui/assets/${asset}`),
      '/ui/assets/missing.js': await send(`${suite.stack.vaultUrl}/ui/assets/missing.js`),
      'vault.test /ui/': await send(suite.stack.uiUrl, { headers: { host: `vault.test:${suite.stack.vaultPort}` } }),
    }
    for (const [what, reply] of Object.entries(answers)) {
      for (const [name, value] of Object.entries(EXPECTED_UI_HEADERS)) assert.equal(reply.headers[name], value, `${what}: ${name}`)
    }
    assert.equal(index.headers['cache-control'], 'no-store')
    assert.equal(answers[`/ui/assets/${asset}`]!.headers['cache-control'], 'public, max-age=31536000, immutable')
    assert.ok(index.headers['etag'] === undefined || typeof index.headers['etag'] === 'string')
    assert.match(index.text, /<script type="application\/json" id="boot">/)
    assert.doesNotMatch(index.text.replace(/<script type="application\/json" id="boot">[\s\S]*?<\/script>/, ''), /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script besides the boot JSON')
    assert.doesNotMatch(index.text, /\sstyle=/, 'no inline style attribute')
  })

  test('CSP is enforced: an inline script slipped into the page is refused and reported (the detector works)', async () => {
    await withPage(openPage(suite.browser), async (w) => {
      await w.page.route(suite.stack.uiUrl, async (route) => {
        const res = await route.fetch()
        const html = (await res.text()).replace('<body>', '<body><script>document.title = "inline ran"</script>')
        await route.fulfill({ response: res, body: html })
      })
      await w.page.goto(suite.stack.uiUrl)
      await w.page.locator('#app h1').first().waitFor()
      assert.notEqual(await w.page.title(), 'inline ran', 'the inline script must not run')
      await until('the violation is reported on the console', async () => w.cspViolations.length > 0)
      assert.ok(w.cspViolations.some((v) => /script-src/.test(v)), w.cspViolations.join('\n'))
    }, false)
  })

  test('axe runs under the CSP: an unlabelled field added to the page is reported (the accessibility check works)', async () => {
    await withPage(openPage(suite.browser), async ({ page }) => {
      await page.goto(suite.stack.uiUrl)
      await page.locator('#app h1').first().waitFor()
      await assertAccessible(page, 'sign-in as served')
      await page.evaluate(() => document.querySelector('#app')!.append(document.createElement('input')))
      await assert.rejects(assertAccessible(page, 'canary'), /label/)
    })
  })

  test('CSRF: a same-site form POST from another loopback port is refused with 403 and changes nothing', async () => {
    const id = await pendingReview()
    await formPostFrom(suite, '127.0.0.1', 'same-site', id, async (res, sent) => {
      const cookieSent = /ledgix_session=/.test(sent['cookie'] ?? '')
      assert.equal(sent['sec-fetch-site'], 'same-site')
      assert.equal(cookieSent, true, 'same-site (another port of 127.0.0.1): the Strict cookie is sent, so only the CSRF check can stop it')
      assert.equal(res.status(), 403, await res.text())
      assert.equal(((await res.json()) as { code?: string }).code, 'csrf_rejected')
    })
    assert.equal(await statusOf(id), 'pending_review', 'nothing changed')
  })

  test('CSRF: a cross-site form POST from evil.test carries no session and changes nothing', async () => {
    const id = await pendingReview()
    await formPostFrom(suite, 'evil.test', 'cross-site', id, async (res, sent) => {
      assert.equal(sent['sec-fetch-site'], 'cross-site')
      assert.doesNotMatch(sent['cookie'] ?? '', /ledgix_session=/, 'SameSite=Strict: no session cookie on a cross-site POST')
      // Without a session the request is unauthenticated (401) or refused by the Sec-Fetch-Site check (403).
      assert.ok([401, 403].includes(res.status()), `cross-site POST answered ${res.status()}: ${await res.text()}`)
    })
    assert.equal(await statusOf(id), 'pending_review', 'nothing changed')
  })

  test('CSRF: a same-origin fetch without X-Ledgix-CSRF or with another session\'s token is 403 csrf_rejected; the right token is accepted', async () => {
    const id = await pendingReview()
    const other = await loginFromNode(suite.stack, ADMIN_EMAIL, ADMIN_PASSWORD)
    await withPage(openSignedIn(suite.browser, suite.stack, other), async ({ page }) => {
      await gotoPage(page, suite.stack, '#/overview', 'Overview')
      const foreign = await csrfTokenOf(page)
      assert.ok(foreign.length >= 16, 'the session endpoint gives a CSRF token')
      await page.context().clearCookies()
      await page.context().addCookies([{ name: adminSession().name, value: adminSession().value, url: suite.stack.vaultUrl, httpOnly: true, sameSite: 'Strict' }])
      const mine = await csrfTokenOf(page)
      assert.notEqual(mine, foreign, 'the token is bound to the session')
      const decision = { approved: true, review_reason: 'csrf check' }
      const none = await fetchInPage(page, 'POST', `/reviews/${id}/decision`, { body: decision, csrf: null })
      assert.equal(none.status, 403, none.text)
      assert.equal(none.code, 'csrf_rejected')
      const wrong = await fetchInPage(page, 'POST', `/reviews/${id}/decision`, { body: decision, csrf: foreign })
      assert.equal(wrong.status, 403, wrong.text)
      assert.equal(wrong.code, 'csrf_rejected')
      assert.equal(await statusOf(id), 'pending_review', 'nothing changed')
      const right = await fetchInPage(page, 'POST', `/reviews/${id}/decision`, { body: decision, csrf: mine })
      assert.equal(right.status, 200, right.text)
    })
    assert.equal(await statusOf(id), 'approved')
  })

  test('session fixation: a session cookie planted before sign-in is not the session after it, and names no user', async () => {
    await withPage(openPage(suite.browser), async ({ page, context }) => {
      const planted = 'planted-by-an-attacker-0123456789abcdef'
      await context.addCookies([{ name: adminSession().name, value: planted, url: suite.stack.vaultUrl }])
      await page.goto(suite.stack.uiUrl)
      await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
      await page.getByLabel('Email').fill(ADMIN_EMAIL)
      await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD)
      const login = page.waitForResponse((r) => r.url().endsWith('/ui/api/login'))
      await page.getByRole('button', { name: 'Sign in' }).click()
      const res = await login
      assert.equal(res.status(), 200)
      await page.getByRole('button', { name: 'Sign out' }).waitFor()
      const cookies = (await context.cookies(suite.stack.vaultUrl)).filter((c) => /ledgix_session$/.test(c.name))
      assert.equal(cookies.length, 1, JSON.stringify(cookies))
      assert.notEqual(cookies[0]!.value, planted, 'sign-in issues a new session token')
      const old = await suite.stack.api('GET', '/ui/api/session', undefined, null, { cookie: `${adminSession().name}=${planted}` })
      assert.equal(old.json['user'], null)

      // The cookie's attributes, as the browser stored them and as the server sent them.
      const c = cookies[0]!
      assert.equal(c.name, 'ledgix_session', 'plain HTTP on loopback: no __Host- prefix (it needs Secure)')
      assert.equal(c.httpOnly, true)
      assert.equal(c.sameSite, 'Strict')
      assert.equal(c.path, '/')
      assert.equal(c.domain, '127.0.0.1', 'a host-only cookie (no Domain attribute)')
      const setCookie = (await res.headerValue('set-cookie')) ?? ''
      assert.match(setCookie, /(^|;)\s*HttpOnly/i)
      assert.match(setCookie, /(^|;)\s*SameSite=Strict/i)
      assert.match(setCookie, /(^|;)\s*Path=\//i)
      assert.doesNotMatch(setCookie, /(^|;)\s*Domain=/i)
      assert.equal(await page.evaluate(() => document.cookie), '', 'HttpOnly: scripts cannot read it')
    })
  })

  test('framing: the app refuses to be framed; a framing page on another origin shows it blocked', async () => {
    const framer = await startPageServer({
      '/': `<!doctype html><html lang="en"><title>framer</title><body><iframe id="f" title="dashboard" src="${suite.stack.uiUrl}" width="600" height="400"></iframe></body></html>`,
    })
    try {
      await withPage(openPage(suite.browser), async ({ page, messages }) => {
        const framed = page.waitForResponse((r) => r.url() === suite.stack.uiUrl)
        await page.goto(`http://evil.test:${framer.port}/`)
        const res = await framed
        assert.equal(res.headers()['x-frame-options'], 'DENY')
        assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/)
        await until('the browser reports the blocked frame', async () => messages.some((m) => /frame-ancestors|X-Frame-Options|refused to (connect|display)/i.test(m)))
        const frame = page.frames().find((f) => f !== page.mainFrame())
        assert.ok(frame !== undefined)
        const inside = await frame.evaluate(() => document.getElementById('app') !== null).catch(() => false)
        assert.equal(inside, false, 'the dashboard did not render inside the frame')
        await page.screenshot({ path: `${screenshotDir()}/framing-blocked.light.png` })
      }, false)
    } finally {
      await framer.close()
    }
  })

  test('plain HTTP on a non-loopback host (vault.test) gets the "use HTTPS or localhost" page, not a dead form', async () => {
    await withPage(openPage(suite.browser), async ({ page }) => {
      const res = await page.goto(`http://vault.test:${suite.stack.vaultPort}/ui/`)
      assert.ok(res !== null)
      for (const [name, value] of Object.entries(EXPECTED_UI_HEADERS)) assert.equal(res.headers()[name], value, name)
      await page.getByRole('heading', { name: /over HTTPS or on localhost/ }).waitFor()
      assert.equal(await page.getByLabel('Password').count(), 0, 'no sign-in form')
      assert.equal(await page.locator('script').count(), 0, 'no script on the page')
      // Deep routes get the same page.
      await page.goto(`http://vault.test:${suite.stack.vaultPort}/ui/reviews`)
      await page.getByRole('heading', { name: /over HTTPS or on localhost/ }).waitFor()
      await checkState(page, 'plain-HTTP non-loopback host')
    })
  })
})
