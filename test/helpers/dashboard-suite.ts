// The shared set-up of a dashboard browser suite (test/e2e/dashboard-*.test.ts): one all-in-one stack,
// one headless Chromium and the first admin for the whole describe block, pages opened and checked one
// test at a time, and the attacker's page that submits a form POST to the Vault from another origin.
import { after, before } from 'node:test'
import type { Browser, Response } from 'playwright-core'
import { launchBrowser, openSignedIn, setupAdminFromNode, startDashboardStack, startPageServer } from '../e2e/dashboard-harness.ts'
import type { DashboardStack, SessionCookie, Watched } from '../e2e/dashboard-harness.ts'

export interface DashboardSuite {
  /** Set in the suite's before(); read them inside tests only. */
  readonly stack: DashboardStack
  readonly browser: Browser
  /** The first admin's session; throws (failing only the tests that need it) when the setup failed. */
  adminSession(): SessionCookie
  /** Run `body` on a page, check it reported no CSP violation or page error (unless `clean` is false), close it. */
  withPage(w: Watched | Promise<Watched>, body: (w: Watched) => Promise<void>, clean?: boolean): Promise<void>
}

/** Register the suite's before/after hooks (call it inside describe) and return what its tests use. */
export function dashboardSuite(): DashboardSuite {
  let stack: DashboardStack | undefined
  let browser: Browser | undefined
  let admin: SessionCookie | Error = new Error('the suite has not started')
  before(async () => {
    stack = await startDashboardStack()
    browser = await launchBrowser()
    // A failed setup fails the tests that need a session, not the others.
    admin = await setupAdminFromNode(stack).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))
  })
  after(async () => {
    await browser?.close()
    await stack?.close()
  })
  return {
    get stack(): DashboardStack {
      if (stack === undefined) throw new Error('the dashboard stack did not start')
      return stack
    },
    get browser(): Browser {
      if (browser === undefined) throw new Error('the browser did not start')
      return browser
    },
    adminSession(): SessionCookie {
      if (admin instanceof Error) throw new Error(`needs the first admin (setup from Node failed): ${admin.message}`)
      return admin
    },
    async withPage(w, body, clean = true): Promise<void> {
      const watched = await w
      try {
        await body(watched)
        if (clean) watched.assertClean()
      } finally {
        await watched.close()
      }
    },
  }
}

/**
 * The admin, signed in, visits a page served from `http://<host>:<port>/` (127.0.0.1: same-site,
 * another port; evil.test: cross-site) that submits a form POSTing an approval of review `id` as
 * text/plain, which lets a form send a JSON-looking body: the classic way around "JSON only".
 * `check` gets the Vault's answer and every header the browser sent (allHeaders(): headers() leaves
 * out the cookie) while the page is still open.
 */
export async function formPostFrom(
  suite: DashboardSuite,
  host: string,
  title: string,
  id: string,
  check: (res: Response, sent: Record<string, string>) => Promise<void>,
): Promise<void> {
  const { stack } = suite
  const evil = await startPageServer({
    '/': `<!doctype html><html lang="en"><title>${title}</title><body><form id="f" method="POST" enctype="text/plain" action="${stack.vaultUrl}/reviews/${id}/decision"><input name='{"approved":true,"review_reason":"csrf","x":"' value='"}'></form><script>document.getElementById('f').submit()</script></body></html>`,
  })
  try {
    await suite.withPage(openSignedIn(suite.browser, stack, suite.adminSession()), async ({ page }) => {
      const answer = page.waitForResponse((r) => r.url().endsWith(`/reviews/${id}/decision`))
      await page.goto(`http://${host}:${evil.port}/`)
      const res = await answer
      await check(res, await res.request().allHeaders())
    }, false)
  } finally {
    await evil.close()
  }
}
