// The dashboard's end-to-end harness (issue 18 "Tests", design notes §4 and §5.6): a real all-in-one
// instance started in this process (embedded Vault with a temp data dir, the gateway in front of a
// real upstream, all on loopback ephemeral ports) and headless Debian Chromium driven by
// playwright-core. Each page is watched for CSP violations and page errors (a test fails on any),
// checked with axe-core (WCAG 2.0/2.1/2.2 A and AA, zero violations) and photographed in light and
// dark into one temp directory whose path is printed once.
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { openVault } from '../../src/cli/serve-vault.ts'
import { startGateway } from '../../src/cli/serve-gateway.ts'
import type { OpenedVault } from '../../src/cli/serve-vault.ts'
import type { RunningGateway } from '../../src/cli/serve-gateway.ts'
import { loadConfig } from '../../src/config/index.ts'
import { GatewayMetrics, createRootLogger } from '../../src/observability/index.ts'
import { send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { Upstream } from '../helpers/upstream.ts'

// DOM globals, used only inside page.evaluate callbacks (they run in the browser; the test project
// compiles without lib "dom", and these module-local declarations do not leak into other files).
declare const document: any
declare const window: any
declare function getComputedStyle(el: any): any

const ROOT = resolve(import.meta.dirname, '..', '..')
export const CHROMIUM = '/usr/bin/chromium'
export const BOOTSTRAP_KEY = 'sk_test_dashboard_e2e_bootstrap'
export const ADMIN_API_KEY = 'adm_test_dashboard_e2e'
export const ADMIN_EMAIL = 'admin@example.com'
export const ADMIN_PASSWORD = 'correct horse battery staple'

/** The exact strings of the contract (docs/design/dashboard.md §2). */
export const EXPECTED_UI_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), usb=(), payment=()',
}

// ---------------------------------------------------------------------------------------------
// Skipping: chromium and playwright-core are needed; outside CI their absence skips with a reason,
// under CI=true it fails.

let playwright: typeof import('playwright-core') | null = null
let missing: string | null = null
try {
  playwright = await import('playwright-core')
} catch (err) {
  missing = `playwright-core is not installed (${err instanceof Error ? err.message : String(err)})`
}
if (missing === null && !existsSync(CHROMIUM)) missing = `${CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium fonts-dejavu-core)`
if (missing !== null && process.env['CI'] === 'true') throw new Error(`CI=true but the dashboard e2e suite cannot run: ${missing}`)

/** `{ skip }` for node:test: a reason when the browser cannot run here, else false. */
export const skipWithoutBrowser: string | false = missing === null ? false : `dashboard e2e skipped: ${missing}`

// ---------------------------------------------------------------------------------------------
// The all-in-one instance.

/** Large payments go to review, small ones are approved: the same shape as config/policies/payments.yaml. */
const PAYMENTS_POLICY = `policy_id: payments-e2e
tools: [create_stripe_payment]
rules:
  - id: allow-small-payment
    when: tool_name == "create_stripe_payment" && tool_args.amount <= 1000
    effect: allow
    reason: payment of at most 1000 is within the automated limit
  - id: review-large-payment
    when: tool_name == "create_stripe_payment" && tool_args.amount > 1000
    effect: review
    reason: automated payments above 1000 require manual review
`

export interface DashboardStack {
  /** http://127.0.0.1:PORT — the Vault listener, which serves /ui/. */
  vaultUrl: string
  vaultPort: number
  uiUrl: string
  gatewayUrl: string
  upstream: Upstream
  dataDir: string
  logs: Record<string, unknown>[]
  /** The one-time setup token: <data_dir>/setup-token, else the one the start logged. */
  setupToken(): string
  /** A request to the Vault API with the bootstrap (admin) API key unless `key` says otherwise. */
  api(method: string, path: string, body?: unknown, key?: string | null, headers?: Record<string, string>): Promise<Reply>
  admin(method: string, path: string, body?: unknown): Promise<Reply>
  /** POST /request-clearance with the bootstrap key. */
  clearance(args: Record<string, unknown>, agentId?: string, key?: string): Promise<Reply>
  close(): Promise<void>
}

class LogSink {
  readonly lines: Record<string, unknown>[] = []
  write(chunk: string): boolean {
    for (const line of chunk.split('\n')) {
      if (line === '') continue
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>)
      } catch {
        this.lines.push({ unparsed: line })
      }
    }
    return true
  }
}

/**
 * `allowPrivateTargets`: notification channels may target loopback (a local receiver in a test);
 * `reviewExpiryEffect`: vault_server.review_expiry_effect (deny unless set).
 */
export async function startDashboardStack(options: { allowPrivateTargets?: boolean; reviewExpiryEffect?: 'deny' | 'approve' } = {}): Promise<DashboardStack> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-dash-e2e-'))
  const dataDir = join(dir, 'data')
  mkdirSync(join(dir, 'policies'))
  writeFileSync(join(dir, 'policies', 'payments.yaml'), PAYMENTS_POLICY)
  const upstream = await new Upstream().start()
  const configFile = join(dir, 'gateway.yaml')
  writeFileSync(
    configFile,
    `mode: all-in-one
gateway:
  listen: { host: 127.0.0.1, port: 0 }
  drain_timeout: 1s
admin:
  listen: { host: 127.0.0.1, port: 0 }
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${dataDir}
  policies_dir: ${join(dir, 'policies')}
  default_effect: deny
  admin_api_key: ${ADMIN_API_KEY}
  bootstrap_api_key: ${BOOTSTRAP_KEY}
  ledger:
    seal_interval: 100ms
${options.allowPrivateTargets === true ? '  notifications: { allow_private_targets: true }\n' : ''}${options.reviewExpiryEffect === undefined ? '' : `  review_expiry_effect: ${options.reviewExpiryEffect}\n`}token:
  clock_skew: 0s
logging:
  level: info
routes:
  - name: payments
    match: { path_prefix: /pay }
    upstream: ${upstream.url}
    tools: [create_stripe_payment]
`,
  )
  const config = await loadConfig(configFile)
  const sink = new LogSink()
  const logger = createRootLogger({ level: 'info', destination: sink })
  let vault: OpenedVault | string
  try {
    vault = await openVault(config, logger, null)
  } catch (err) {
    await upstream.close()
    throw err
  }
  if (typeof vault === 'string') {
    await upstream.close()
    throw new Error(vault)
  }
  const opened = vault
  let gateway: RunningGateway
  try {
    gateway = await startGateway(config, configFile, opened.port, new GatewayMetrics(), logger)
  } catch (err) {
    await opened.close()
    await upstream.close()
    throw err
  }
  const vaultPort = opened.listener!.port
  const vaultUrl = `http://127.0.0.1:${vaultPort}`
  const api: DashboardStack['api'] = (method, path, body, key = BOOTSTRAP_KEY, headers = {}) =>
    send(`${vaultUrl}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { 'x-vault-api-key': key }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? null : JSON.stringify(body),
    })
  return {
    vaultUrl,
    vaultPort,
    uiUrl: `${vaultUrl}/ui/`,
    gatewayUrl: `http://127.0.0.1:${gateway.bound.port}`,
    upstream,
    dataDir,
    logs: sink.lines,
    setupToken() {
      const file = join(dataDir, 'setup-token')
      if (existsSync(file)) return readFileSync(file, 'utf8').trim()
      for (const line of sink.lines) {
        for (const key of ['setup_token', 'token']) {
          const v = line[key]
          if (typeof v === 'string' && /setup/i.test(String(line['msg'] ?? ''))) return v
        }
      }
      throw new Error(`no setup token: neither ${file} nor a start log line carries one`)
    },
    api,
    admin: (method, path, body) => api(method, `/admin${path}`, body, null, { 'x-admin-api-key': ADMIN_API_KEY }),
    clearance: (args, agentId = 'agent-7', key = BOOTSTRAP_KEY) =>
      api('POST', '/request-clearance', { tool_name: 'create_stripe_payment', tool_args: args, agent_id: agentId, session_id: 'sess-e2e' }, key),
    async close() {
      await gateway.close()
      await opened.close()
      await upstream.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Sign in from Node the way the page does (same-origin JSON POST with Origin) and return the session
 * cookie as `name=value`, or throw with the answer.
 */
export async function loginFromNode(stack: DashboardStack, email: string, password: string): Promise<SessionCookie & { reply: Reply }> {
  const reply = await stack.api('POST', '/ui/api/login', { email, password }, null, { origin: stack.vaultUrl })
  assert.equal(reply.status, 200, `login of ${email} from node: ${reply.status} ${reply.text}`)
  return { ...sessionCookieOf(reply), reply }
}

/** The session cookie a server answer set, with the attributes it set (so a browser stores it the same way). */
export interface SessionCookie {
  name: string
  value: string
  httpOnly: boolean
  secure: boolean
  sameSite: 'Strict' | 'Lax' | 'None' | undefined
  path: string
  /** The raw Set-Cookie header. */
  raw: string
}

export function sessionCookieOf(reply: Reply): SessionCookie {
  const all = ([] as string[]).concat(reply.headers['set-cookie'] ?? [])
  const raw = all.find((c) => /^(__Host-)?ledgix_session=/.test(c))
  assert.ok(raw !== undefined, `no session cookie in ${JSON.stringify(all)}`)
  const [pair, ...attrs] = raw.split(';').map((p) => p.trim())
  const eq = pair!.indexOf('=')
  const attr = (name: string): string | undefined => attrs.find((a) => a.toLowerCase().startsWith(name.toLowerCase()))
  const same = attr('samesite=')?.split('=')[1]?.toLowerCase()
  return {
    name: pair!.slice(0, eq),
    value: pair!.slice(eq + 1),
    httpOnly: attr('httponly') !== undefined,
    secure: attr('secure') !== undefined,
    sameSite: same === 'strict' ? 'Strict' : same === 'lax' ? 'Lax' : same === 'none' ? 'None' : undefined,
    path: attr('path=')?.split('=')[1] ?? '/',
    raw,
  }
}

// ---------------------------------------------------------------------------------------------
// The browser.

let shotsDir: string | null = null

/**
 * One temp directory for every screenshot of a test run: the test files run as child processes of
 * one runner, so its pid names the directory; each file prints the path once.
 */
export function screenshotDir(): string {
  if (shotsDir === null) {
    shotsDir = join(tmpdir(), `ledgix-dashboard-shots-${process.ppid}`)
    mkdirSync(shotsDir, { recursive: true })
    console.log(`dashboard e2e screenshots (light and dark): ${shotsDir}`)
  }
  return shotsDir
}

export async function launchBrowser(): Promise<Browser> {
  assert.ok(playwright !== null, 'playwright-core is missing')
  return playwright.chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--font-render-hinting=none',
      // Two names for the loopback: a cross-site attacker origin and a "remote" plain-HTTP host.
      '--host-resolver-rules=MAP evil.test 127.0.0.1, MAP vault.test 127.0.0.1',
    ],
  })
}

export interface Watched {
  page: Page
  context: BrowserContext
  /** Every console message and page error, for diagnostics. */
  messages: string[]
  /** CSP violations (console "Refused to …"/"Content Security Policy" and securitypolicyviolation events). */
  cspViolations: string[]
  pageErrors: string[]
  /** "STATUS URL" of every response the page received, in order. */
  responses: string[]
  /** Resolves once the page's EventSource got a 200 from /events/stream (the headers, not the end). */
  eventStreamOpen(): Promise<void>
  /** Fails when the page reported a CSP violation or an uncaught error. */
  assertClean(): void
  close(): Promise<void>
}

const CSP_CONSOLE = /Content Security Policy|Refused to (load|execute|apply|connect|frame|display|evaluate|create)|securitypolicyviolation/i

/** One context per test: viewport, locale, zone and motion pinned; light scheme unless asked. */
export async function openPage(
  browser: Browser,
  options: { colorScheme?: 'light' | 'dark'; storageState?: Awaited<ReturnType<BrowserContext['storageState']>>; width?: number; height?: number } = {},
): Promise<Watched> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 760 },
    deviceScaleFactor: 1,
    locale: 'en-US',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
    colorScheme: options.colorScheme ?? 'light',
    ...(options.storageState === undefined ? {} : { storageState: options.storageState }),
  })
  context.setDefaultTimeout(15_000)
  // Reported by the page itself too, so a violation the console does not print still counts.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string; sourceFile: string; lineNumber: number }) => {
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`)
    })
  })
  const page = await context.newPage()
  const messages: string[] = []
  const cspViolations: string[] = []
  const pageErrors: string[] = []
  const responses: string[] = []
  page.on('response', (r) => responses.push(`${r.status()} ${r.url()}`))
  page.on('console', (m) => {
    const text = `[${m.type()}] ${m.text()} (${page.url()})`
    messages.push(text)
    if (CSP_CONSOLE.test(m.text())) cspViolations.push(text)
  })
  page.on('pageerror', (err) => {
    const text = `${err.name}: ${err.message} (${page.url()})`
    messages.push(`[pageerror] ${text}`)
    pageErrors.push(text)
  })
  return {
    page,
    context,
    messages,
    cspViolations,
    pageErrors,
    responses,
    eventStreamOpen: async () => {
      await until('the page opened /events/stream', async () => responses.some((r) => /^200 .*\/events\/stream/.test(r)))
    },
    assertClean() {
      assert.deepEqual(cspViolations, [], `CSP violations:\n${cspViolations.join('\n')}`)
      assert.deepEqual(pageErrors, [], `page errors:\n${pageErrors.join('\n')}`)
    },
    close: () => context.close(),
  }
}

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8')
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'] as const

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  helpUrl: string
  nodes: { target: unknown[]; failureSummary?: string; html: string }[]
}

/** axe-core injected with page.evaluate (an inline <script> would be blocked by the CSP); zero violations. */
export async function assertAccessible(page: Page, state: string): Promise<void> {
  const hasAxe = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe !== 'undefined')
  if (!hasAxe) await page.evaluate(AXE_SOURCE)
  const violations = await page.evaluate(async (tags) => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> } }).axe
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })
    return result.violations
  }, [...AXE_TAGS])
  const list = violations as AxeViolation[]
  const readable = list
    .map((v) => `- ${v.id} (${v.impact ?? 'n/a'}): ${v.help} ${v.helpUrl}\n${v.nodes.map((n) => `    at ${JSON.stringify(n.target)}: ${n.html.slice(0, 160)}\n      ${(n.failureSummary ?? '').replace(/\n/g, '\n      ')}`).join('\n')}`)
    .join('\n')
  assert.equal(list.length, 0, `axe found ${list.length} violation(s) on "${state}":\n${readable}`)
}

function fileSafe(name: string): string {
  return name.replace(/[^a-z0-9-]+/gi, '-').replace(/^-|-$/g, '').toLowerCase()
}

/**
 * One page state: axe in light and in dark, and a screenshot of each. The scheme goes back to what
 * it was; the page is not reloaded.
 */
export async function checkState(page: Page, state: string): Promise<void> {
  const dir = screenshotDir()
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    await assertAccessible(page, `${state} (${scheme})`)
    await page.screenshot({ path: join(dir, `${fileSafe(state)}.${scheme}.png`), fullPage: true, animations: 'disabled', caret: 'hide' })
  }
  await page.emulateMedia({ colorScheme: 'light' })
}

/** A tiny HTTP server on another loopback port serving fixed HTML pages (the attacker's site). */
export async function startPageServer(pages: Record<string, string>): Promise<{ port: number; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const body = pages[(req.url ?? '/').split('?')[0]!]
    if (body === undefined) {
      res.writeHead(404).end()
      return
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    port,
    server,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

/** Sign in through the login page; resolves when the signed-in shell shows. */
export async function loginInPage(page: Page, uiUrl: string, email: string, password: string): Promise<void> {
  await page.goto(uiUrl)
  await page.getByRole('heading', { name: 'Sign in to Ledgix' }).waitFor()
  await page.getByLabel('Email').fill(email)
  await page.getByLabel('Password', { exact: true }).fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('button', { name: 'Sign out' }).waitFor()
}

/** In the page: the session's CSRF token from GET /ui/api/session. */
export async function csrfTokenOf(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const r = await fetch('/ui/api/session', { credentials: 'same-origin' })
    const body = (await r.json()) as { csrf_token?: string }
    return body.csrf_token ?? ''
  })
}

/** In the page: a same-origin fetch with the session cookie; status, code and body text. */
export async function fetchInPage(
  page: Page,
  method: string,
  path: string,
  options: { body?: unknown; csrf?: string | null } = {},
): Promise<{ status: number; code: string | null; text: string; retryAfter: string | null }> {
  return page.evaluate(
    async ({ method, path, body, csrf }) => {
      const headers: Record<string, string> = { accept: 'application/json' }
      if (body !== undefined) headers['content-type'] = 'application/json'
      if (csrf !== null && csrf !== undefined) headers['x-ledgix-csrf'] = csrf
      const r = await fetch(path, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
      const text = await r.text()
      let code: string | null = null
      try {
        const parsed = JSON.parse(text) as { code?: unknown; error?: unknown }
        code = typeof parsed.code === 'string' ? parsed.code : typeof parsed.error === 'string' ? parsed.error : null
      } catch {
        code = null
      }
      return { status: r.status, code, text, retryAfter: r.headers.get('retry-after') }
    },
    { method, path, body: options.body, csrf: options.csrf },
  )
}

/** Poll until `check` holds (bounded); the last error is in the failure. */
export async function until<T>(what: string, check: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown = null
  for (;;) {
    try {
      const v = await check()
      if (v !== null && v !== undefined && v !== false) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms${last === null ? '' : `: ${String(last)}`}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** First-admin setup from Node (the suites that are not about setup); returns the session cookie. */
export async function setupAdminFromNode(stack: DashboardStack, email = ADMIN_EMAIL, password = ADMIN_PASSWORD): Promise<SessionCookie> {
  const reply = await stack.api('POST', '/ui/api/setup', { setup_token: stack.setupToken(), email, password }, null, { origin: stack.vaultUrl })
  assert.equal(reply.status, 201, `setup from node: ${reply.status} ${reply.text}`)
  return sessionCookieOf(reply)
}

/** A browser context already signed in with `cookie` (set for the Vault's loopback origin). */
export async function openSignedIn(browser: Browser, stack: DashboardStack, cookie: SessionCookie, options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {}): Promise<Watched> {
  const w = await openPage(browser, options)
  // Stored with the attributes the server set: a cookie added without SameSite would be Lax-by-default
  // and Chromium sends those on cross-site POSTs for two minutes ("Lax+POST"), which would hide the
  // server's SameSite=Strict.
  await w.context.addCookies([
    {
      name: cookie.name,
      value: cookie.value,
      domain: '127.0.0.1',
      path: cookie.path,
      httpOnly: cookie.httpOnly,
      secure: cookie.secure,
      ...(cookie.sameSite === undefined ? {} : { sameSite: cookie.sameSite }),
    },
  ])
  return w
}

/** Open a page state and wait for its level-one heading. */
export async function gotoPage(page: Page, stack: DashboardStack, hash: string, heading: string): Promise<void> {
  await page.goto(`${stack.uiUrl}${hash}`)
  await page.getByRole('heading', { level: 1, name: heading }).waitFor()
}
