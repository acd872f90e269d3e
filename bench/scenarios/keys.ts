// Key-rotation rows of issue 7, in paired mode against the real Vault (vault-only, configs/
// vault-keys.yaml, on the load core as the remote service it is). The gateway fetches its JWKS
// through a counting proxy in this process (configs/paired-keys.yaml `jwks.url`), which forwards to
// the Vault's /.well-known/jwks.json and records the time of every fetch; the gateway's own
// ledgix_jwks_refresh_total{trigger="kid_miss"} is read as a cross-check.
//   (a) POST /admin/keys/rotate, then a real /request-clearance token signed by the new kid: it must
//       be accepted (200) on its first request, at the cost of one kid-miss fetch;
//   (b) 1,000 requests at once (1,000 pre-opened keep-alive connections, written in one tick), each a
//       distinct token of one unknown kid: exactly 1 JWKS fetch, every answer 401 token_key_unknown;
//   (c) a flood of random kids (a fresh kid per request, wrk, 64 connections): at most 1 fetch per
//       kid_miss_cooldown (10 s) — the smallest gap between fetches must be ≥ the cooldown.
// Between the parts the harness waits out the cooldown, so each part starts with a fetch allowed.
// The unit and e2e tests assert the same properties (test/token/jwks-cache.test.ts with a fake
// source, test/gateway/gateway.auth.test.ts, test/e2e/modes.replay.test.ts with cooldown 0 s);
// these rows report the counts against a real Vault and a real gateway process.
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto'
import { createWriteStream, rmSync } from 'node:fs'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { join } from 'node:path'
import { sampleValue, scrapeMetrics } from '../lib/metrics-text.ts'
import { mintToken } from '../../src/token/index.ts'
import { runLoad } from '../lib/loadgen.ts'
import type { Ctx } from '../lib/measure.ts'
import { sleep, stopManaged } from '../lib/procs.ts'
import { newRow, unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { startGateway, startVault } from '../lib/stack.ts'
import type { GatewayStarted, VaultStarted } from '../lib/stack.ts'
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_TOOL } from '../lib/tokens.ts'

export const KEY_NEW_ID = 'key-rotation-new-kid'
export const KEY_BURST_ID = 'key-rotation-unknown-kid-burst'
export const KEY_FLOOD_ID = 'key-rotation-random-kid-flood'
export const KEY_IDS = [KEY_NEW_ID, KEY_BURST_ID, KEY_FLOOD_ID] as const

/** jwks.kid_miss_cooldown of configs/paired-keys.yaml (the default). */
const COOLDOWN_MS = 10_000
/** The gateway starts its cooldown when it starts a fetch; the proxy sees the fetch a loop turn later. */
const GAP_ALLOWANCE_MS = 250
const BURST = 1000
const OPEN_BATCH = 100
const FLOOD_SEC_FULL = 30
const FLOOD_SEC_QUICK = 12
const FLOOD_TOKEN_CAP = 400_000

const TITLES = {
  [KEY_NEW_ID]: 'key rotation: token of a newly published kid (POST /admin/keys/rotate), first request [paired, real Vault]',
  [KEY_BURST_ID]: `key rotation: ${BURST.toLocaleString('en-US')} concurrent requests with one unknown kid → JWKS fetches [paired]`,
  [KEY_FLOOD_ID]: 'key rotation: flood of random kids (new kid per request) → JWKS fetches per 10 s [paired]',
}

/** Counts GET /.well-known/jwks.json fetches and forwards them to the Vault. */
class JwksCounter {
  readonly times: number[] = []
  readonly server: Server
  readonly vaultUrl: string
  url = ''

  constructor(vaultUrl: string) {
    this.vaultUrl = vaultUrl
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || !(req.url ?? '').startsWith('/.well-known/jwks.json')) {
        res.writeHead(404).end()
        return
      }
      this.times.push(performance.now())
      fetch(`${this.vaultUrl}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5000) })
        .then(async (up) => {
          const body = await up.text()
          res.writeHead(up.status, { 'content-type': 'application/json', 'cache-control': up.headers.get('cache-control') ?? 'no-store' })
          res.end(body)
        })
        .catch(() => res.writeHead(502).end())
    })
  }

  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1')
    await once(this.server, 'listening')
    const address = this.server.address()
    this.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/.well-known/jwks.json`
  }

  count(): number {
    return this.times.length
  }

  close(): Promise<void> {
    this.server.closeAllConnections()
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}

/** ledgix_jwks_refresh_total{trigger="kid_miss",result=…} of the gateway. */
async function kidMissMetric(gw: GatewayStarted, result: 'ok' | 'suppressed'): Promise<number | null> {
  try {
    const text = await scrapeMetrics(gw.adminUrl, 3000)
    return sampleValue(text, 'ledgix_jwks_refresh_total', { trigger: 'kid_miss', result }) ?? 0
  } catch {
    return null
  }
}

function headerOf(token: string): { kid?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid?: string }
}

/** A token with the bench claims signed by `privateKey` under `kid` (a kid the Vault never published). */
function strangerToken(kid: string, privateKey: import('node:crypto').KeyObject): string {
  const now = Math.floor(Date.now() / 1000)
  return mintToken(
    { iss: BENCH_ISSUER, sub: 'clearance', aud: [BENCH_AUDIENCE], exp: now + 1800, iat: now, jti: randomUUID(), tool: BENCH_TOOL, agent_id: 'bench-agent', session_id: 'bench-session', policy_id: 'bench-payments', request_id: randomUUID(), decision: 'approved' },
    { kid, privateKey },
  )
}

async function waitCooldown(counter: JwksCounter): Promise<void> {
  const last = counter.times.at(-1)
  if (last === undefined) return
  const wait = last + COOLDOWN_MS + 500 - performance.now()
  if (wait > 0) await sleep(wait)
}

async function partNew(gw: GatewayStarted, vault: VaultStarted, adminKey: string, counter: JwksCounter): Promise<Row> {
  const row = newRow(KEY_NEW_ID, TITLES[KEY_NEW_ID])
  const rotate = await fetch(`${vault.url}/admin/keys/rotate`, { method: 'POST', headers: { 'x-admin-api-key': adminKey }, signal: AbortSignal.timeout(10_000) })
  const rotated = (await rotate.json()) as { active_kid?: string }
  if (rotate.status !== 200 || typeof rotated.active_kid !== 'string') return unavailable(KEY_NEW_ID, row.title, `POST /admin/keys/rotate answered ${rotate.status}`)
  const clearance = await fetch(`${vault.url}/request-clearance`, {
    method: 'POST',
    headers: { 'x-vault-api-key': vault.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ tool_name: BENCH_TOOL, tool_args: { amount: 100, currency: 'usd', payment_method_id: 'pm_bench' }, agent_id: 'bench-agent', session_id: 'bench-session' }),
    signal: AbortSignal.timeout(10_000),
  })
  const cleared = (await clearance.json()) as { token?: string }
  if (typeof cleared.token !== 'string') return unavailable(KEY_NEW_ID, row.title, `/request-clearance gave no token (${clearance.status})`)
  const kid = headerOf(cleared.token).kid
  if (kid !== rotated.active_kid) return unavailable(KEY_NEW_ID, row.title, `the clearance token carries kid ${kid ?? '?'}, not the rotated ${rotated.active_kid}`)
  const fetchesBefore = counter.count()
  const metricBefore = await kidMissMetric(gw, 'ok')
  const started = performance.now()
  const reply = await fetch(`${gw.url}/gated`, { headers: { authorization: `Bearer ${cleared.token}` }, signal: AbortSignal.timeout(10_000) })
  const ms = performance.now() - started
  const text = await reply.text()
  const fetches = counter.count() - fetchesBefore
  const metricAfter = await kidMissMetric(gw, 'ok')
  const accepted = reply.status === 200 && text.includes('bench-upstream')
  row.extra['first_request_status'] = reply.status
  row.extra['jwks_fetches'] = fetches
  row.extra['first_request_ms'] = Math.round(ms * 10) / 10
  row.notes.push(
    `first request with the new kid answered ${reply.status} (target: accepted ${accepted ? '✓' : `✗: ${text.slice(0, 120)}`}); JWKS fetches it caused: ${fetches} (kid-miss refetch; gateway metric kid_miss ok +${metricAfter === null || metricBefore === null ? '?' : metricAfter - metricBefore}); ${ms.toFixed(1)} ms including that fetch and the durable burn`,
    'token minted by the real Vault (/request-clearance) right after POST /admin/keys/rotate; the gateway had never seen the kid',
  )
  return row
}

/** Read one HTTP/1.1 response (status line, headers, Content-Length body) off a socket. */
function readResponse(socket: Socket): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end === -1) return
      const head = buf.subarray(0, end).toString('latin1')
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0)
      if (buf.length < end + 4 + length) return
      socket.removeListener('data', onData)
      resolve({ status: Number(head.slice(9, 12)), body: buf.subarray(end + 4, end + 4 + length).toString('utf8') })
    }
    socket.on('data', onData)
    socket.once('error', reject)
    socket.once('close', () => reject(new Error('connection closed before a response')))
  })
}

function openConnection(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    socket.setTimeout(15_000, () => socket.destroy(new Error('burst connection timed out')))
    socket.once('error', reject)
    socket.once('connect', () => {
      socket.removeListener('error', reject)
      socket.on('error', () => undefined)
      resolve(socket)
    })
  })
}

async function partBurst(gw: GatewayStarted, counter: JwksCounter): Promise<Row> {
  const row = newRow(KEY_BURST_ID, TITLES[KEY_BURST_ID])
  const { hostname, port } = new URL(gw.url)
  const kid = `bench-unknown-${randomBytes(6).toString('hex')}`
  const { privateKey } = generateKeyPairSync('ed25519')
  const requests = Array.from({ length: BURST }, () => `GET /gated HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${strangerToken(kid, privateKey)}\r\n\r\n`)
  const sockets: Socket[] = []
  try {
    while (sockets.length < BURST) sockets.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, BURST - sockets.length) }, () => openConnection(hostname, Number(port))))))
    // Let the gateway finish accepting before the burst, so the requests are what arrives together.
    await sleep(500)
    await waitCooldown(counter)
    const fetchesBefore = counter.count()
    const okBefore = await kidMissMetric(gw, 'ok')
    const suppressedBefore = await kidMissMetric(gw, 'suppressed')
    const replies = sockets.map((s) => readResponse(s))
    const started = performance.now()
    for (let i = 0; i < BURST; i++) sockets[i]!.write(requests[i]!)
    const settled = await Promise.allSettled(replies)
    const ms = performance.now() - started
    const fetches = counter.count() - fetchesBefore
    const okAfter = await kidMissMetric(gw, 'ok')
    const suppressedAfter = await kidMissMetric(gw, 'suppressed')
    const answered = settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ status: number; body: string }>).value)
    const unknown = answered.filter((r) => r.status === 401 && r.body.includes('token_key_unknown')).length
    const met = fetches === 1 && unknown === BURST
    row.extra['jwks_fetches'] = fetches
    row.extra['answered_401_token_key_unknown'] = unknown
    row.extra['burst_ms'] = Math.round(ms)
    const suppressed = suppressedAfter === null || suppressedBefore === null ? null : suppressedAfter - suppressedBefore
    row.notes.push(
      `JWKS fetches: ${fetches} (target exactly 1 ${met ? '✓' : '✗'}); ${unknown} of ${BURST} answered 401 token_key_unknown${answered.length < BURST ? `, ${BURST - answered.length} got no answer` : ''}; all ${BURST} answered in ${ms.toFixed(0)} ms`,
      `gateway metric kid_miss ok +${okAfter === null || okBefore === null ? '?' : okAfter - okBefore}, suppressed +${suppressed ?? '?'} (requests that arrived after the fetch had landed and hit the cooldown; the others joined the one in-flight fetch)`,
      `${BURST} keep-alive connections opened first, then every request written in one tick; a distinct token (jti) per request, all with kid ${kid}`,
    )
    return row
  } catch (err) {
    return unavailable(KEY_BURST_ID, row.title, err instanceof Error ? err.message : String(err))
  } finally {
    for (const s of sockets) s.destroy()
  }
}

async function mintRandomKidTokens(count: number, file: string): Promise<void> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const out = createWriteStream(file)
  for (let i = 0; i < count; i++) {
    if (!out.write(strangerToken(`bench-random-${randomBytes(8).toString('hex')}`, privateKey) + '\n')) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

async function partFlood(ctx: Ctx, gw: GatewayStarted, counter: JwksCounter): Promise<Row> {
  const row = newRow(KEY_FLOOD_ID, TITLES[KEY_FLOOD_ID])
  const seconds = ctx.opts.quick ? FLOOD_SEC_QUICK : FLOOD_SEC_FULL
  const file = join(ctx.dir, 'random-kid-tokens.txt')
  try {
    // Sized for the gateway's rejection rate; a short file ends the flood early and the row says so.
    await mintRandomKidTokens(Math.min(FLOOD_TOKEN_CAP, seconds * 12_000), file)
    await waitCooldown(counter)
    const fetchesBefore = counter.count()
    const okBefore = await kidMissMetric(gw, 'ok')
    const suppressedBefore = await kidMissMetric(gw, 'suppressed')
    const started = performance.now()
    const r = await runLoad(ctx.env, { label: 'key-flood', url: `${gw.url}/gated`, connections: ctx.opts.connections, durationSec: seconds, tokensFile: file, tokenMode: 'bearer' }, ctx.dir)
    // The flood's own duration (wrk's clock); `started` also covers wrk loading its token file.
    const windowMs = r.rps > 0 ? (r.requests / r.rps) * 1000 : performance.now() - started
    const times = counter.times.slice(fetchesBefore)
    const t0 = times[0] ?? started
    const okAfter = await kidMissMetric(gw, 'ok')
    const suppressedAfter = await kidMissMetric(gw, 'suppressed')
    // Gaps between fetches, including the one before the flood (the cooldown spans the boundary).
    const withPrev = counter.times.slice(Math.max(0, fetchesBefore - 1))
    const gaps = withPrev.slice(1).map((t, i) => t - withPrev[i]!)
    const minGap = gaps.length === 0 ? null : Math.min(...gaps)
    // One fetch at the flood's first request, then at most one per cooldown.
    const allowed = Math.floor(windowMs / COOLDOWN_MS) + 1
    const met = times.length <= allowed && (minGap === null || minGap >= COOLDOWN_MS - GAP_ALLOWANCE_MS)
    row.rps = r.rps
    row.p50Ms = r.p50Ms
    row.p99Ms = r.p99Ms
    row.rssMiB = null
    row.extra['requests'] = r.requests
    row.extra['jwks_fetches'] = times.length
    row.extra['window_s'] = Math.round(windowMs / 100) / 10
    row.extra['min_gap_ms'] = minGap === null ? 'n/a' : Math.round(minGap)
    row.notes.push(
      `${times.length} JWKS fetches in ${(windowMs / 1000).toFixed(1)} s of ${r.requests.toLocaleString('en-US')} requests, each with a new random kid (target ≤ 1 per 10 s: ≤ ${allowed} here, smallest gap between fetches ${minGap === null ? 'n/a' : `${(minGap / 1000).toFixed(2)} s`} ≥ ${((COOLDOWN_MS - GAP_ALLOWANCE_MS) / 1000).toFixed(2)} s ${met ? '✓' : '✗'})`,
      `fetches at ${times.map((t) => `+${((t - t0) / 1000).toFixed(2)} s`).join(', ') || 'none'} from the first; gateway metric kid_miss ok +${okAfter === null || okBefore === null ? '?' : okAfter - okBefore}, suppressed +${suppressedAfter === null || suppressedBefore === null ? '?' : suppressedAfter - suppressedBefore}`,
      `req/s = 401 token_key_unknown answers/s; ${r.non2xx === r.requests ? 'all responses refused as expected' : `${r.requests - r.non2xx} of ${r.requests} responses were NOT refused`}${r.exhausted > 0 ? '; the token file ran out before the end (flood shorter than planned)' : ''}`,
      `gap allowance ${GAP_ALLOWANCE_MS} ms: the gateway starts its cooldown when it starts a fetch, the counting proxy sees the fetch a loop turn later (longer under the flood)`,
    )
    if (r.socketErrors > 0) row.notes.push(`${r.socketErrors} socket errors/timeouts`)
    return row
  } catch (err) {
    return unavailable(KEY_FLOOD_ID, row.title, err instanceof Error ? err.message : String(err))
  } finally {
    rmSync(file, { force: true })
  }
}

/** All three rows on one dedicated Vault + counting proxy + paired gateway; `want` = ids to run. */
export async function keyRotationRows(ctx: Ctx, upstreamUrl: string, apiKey: string, want: ReadonlySet<string>): Promise<Row[]> {
  const down = (why: string): Row[] => KEY_IDS.filter((id) => want.has(id)).map((id) => unavailable(id, TITLES[id], why))
  const adminKey = `ak_bench_${randomBytes(24).toString('base64url')}`
  const vault = await startVault(ctx, apiKey, { name: 'vault-keys', core: ctx.env.placement.load, template: 'vault-keys', values: { ADMIN_API_KEY: adminKey } })
  if (typeof vault === 'string') return down(`vault-only (vault-keys.yaml): ${vault}`)
  const counter = new JwksCounter(vault.url)
  let gw: GatewayStarted | string = 'not started'
  try {
    await counter.start()
    gw = await startGateway(ctx, 'gateway-keys', 'paired-keys', { UPSTREAM: upstreamUrl, VAULT_URL: vault.url, JWKS_URL: counter.url, API_KEY: apiKey })
    if (typeof gw === 'string') return down(`serve paired (paired-keys.yaml): ${gw}`)
    process.stderr.write(`bench: key rotation rows (waiting out the ${COOLDOWN_MS / 1000} s kid-miss cooldown between parts)\n`)
    const rows: Row[] = []
    // (a) first: the start-up fetch is not a kid-miss fetch, so no cooldown is running yet.
    if (want.has(KEY_NEW_ID)) rows.push(await partNew(gw, vault, adminKey, counter).catch((err: unknown) => unavailable(KEY_NEW_ID, TITLES[KEY_NEW_ID], String(err))))
    if (want.has(KEY_BURST_ID)) rows.push(await partBurst(gw, counter))
    if (want.has(KEY_FLOOD_ID)) rows.push(await partFlood(ctx, gw, counter))
    const placement = ctx.env.placement.sut === null ? 'not pinned' : `gateway on core ${ctx.env.placement.sut}, Vault on core ${ctx.env.placement.load}`
    for (const row of rows) if (row.status === 'ok') row.notes.push(`${placement}; jwks.kid_miss_cooldown ${COOLDOWN_MS / 1000} s; fetches counted by a proxy in front of the Vault's JWKS`)
    if (gw.m.isDead()) for (const row of rows) row.notes.push('the gateway exited during the run: numbers are suspect')
    return rows
  } finally {
    if (typeof gw !== 'string') await stopManaged(gw.m)
    await counter.close()
    await stopManaged(vault.m)
  }
}
