// Issue 17: notification delivery must never slow /request-clearance. Two Vaults on the SUT core
// take the same clearances that go to review (each one raises review.created): one with no channel,
// one with three channels (signed webhook, Slack incoming webhook, email over SMTP) whose outbox
// rows commit in the clearance's own write and are drained by the delivery worker in the same
// process. Target: the second row ≥ 0.9 × the first, measured interleaved in the same run.
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'
import { expectStatus, measureInterleaved } from '../lib/measure.ts'
import type { Ctx, LoadScenario } from '../lib/measure.ts'
import { stopManaged } from '../lib/procs.ts'
import { unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { startVault } from '../lib/stack.ts'
import type { VaultStarted } from '../lib/stack.ts'
import { BENCH_TOOL } from '../lib/tokens.ts'

export const REVIEW_ID = 'request-clearance-review'
export const REVIEW_NOTIFY_ID = 'request-clearance-review-notify'
export const NOTIFY_IDS = [REVIEW_ID, REVIEW_NOTIFY_ID] as const

interface Sinks {
  httpUrl: string
  smtpPort: number
  received: () => { http: number; mails: number }
  close(): Promise<void>
}

/** Receivers on the load core (this process): an HTTP 200 sink and an SMTP sink, counting what arrives. */
async function startSinks(): Promise<Sinks> {
  let http = 0
  let mails = 0
  const server: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      http++
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      stream.resume()
      stream.on('end', () => {
        mails++
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve))
  const httpAddress = server.address()
  const smtpAddress = smtp.server.address()
  return {
    httpUrl: `http://127.0.0.1:${typeof httpAddress === 'object' && httpAddress !== null ? httpAddress.port : 0}`,
    smtpPort: typeof smtpAddress === 'object' && smtpAddress !== null ? smtpAddress.port : 0,
    received: () => ({ http, mails }),
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await new Promise<void>((resolve) => smtp.close(() => resolve()))
    },
  }
}

function reviewPlan(ctx: Ctx, vault: VaultStarted, id: string, title: string, notes: string[], compare: LoadScenario['compare']): LoadScenario {
  const url = `${vault.url}/request-clearance`
  // amount > 1000: bench.yaml's review-large rule → pending_review (and review.created).
  const body = JSON.stringify({ tool_name: BENCH_TOOL, tool_args: { amount: 5000, currency: 'usd', payment_method_id: 'pm_bench' }, agent_id: 'bench-agent' })
  const bodyFile = join(ctx.dir, `${id}-body.json`)
  writeFileSync(bodyFile, body)
  const headers = { 'x-vault-api-key': vault.apiKey, 'content-type': 'application/json' }
  return {
    id,
    title,
    spec: { url, connections: ctx.opts.connections, method: 'POST', headers, bodyFile },
    tokens: false,
    expect: 'ok',
    sut: vault.m,
    compare,
    check: () => expectStatus(url, { method: 'POST', headers, body }, 200, '"pending_review"'),
    notes,
  }
}

async function putChannels(vault: VaultStarted, sinks: Sinks): Promise<string | null> {
  const body = JSON.stringify({
    channels: [
      { id: 'hook', type: 'webhook', url: `${sinks.httpUrl}/hook`, secret: 'whsec_bench_0123456789abcdef' },
      { id: 'slack-ops', type: 'slack', url: `${sinks.httpUrl}/slack` },
      { id: 'mail', type: 'email', recipients: 'ops@example.com' },
    ],
  })
  const res = await fetch(`${vault.url}/notification-settings`, { method: 'PUT', headers: { 'x-vault-api-key': vault.apiKey, 'content-type': 'application/json' }, body })
  return res.status === 200 ? null : `PUT /notification-settings answered ${res.status}: ${await res.text()}`
}

export async function notifyRows(ctx: Ctx, apiKey: string): Promise<Row[]> {
  const sinks = await startSinks()
  const plain = await startVault(ctx, apiKey, { name: 'vault-review' })
  const notify = await startVault(ctx, apiKey, { name: 'vault-review-notify', template: 'vault-notify', values: { SMTP_PORT: sinks.smtpPort } })
  try {
    if (typeof plain === 'string' || typeof notify === 'string') {
      const why = typeof plain === 'string' ? plain : String(notify)
      return [unavailable(REVIEW_ID, REVIEW_ID, why), unavailable(REVIEW_NOTIFY_ID, REVIEW_NOTIFY_ID, why)]
    }
    const problem = await putChannels(notify, sinks)
    if (problem !== null) return [unavailable(REVIEW_NOTIFY_ID, REVIEW_NOTIFY_ID, problem)]
    const plans = [
      reviewPlan(ctx, plain, REVIEW_ID, 'Vault POST /request-clearance → pending review, no notification channel', ['bench/configs/policies/bench.yaml review-large rule'], []),
      reviewPlan(
        ctx,
        notify,
        REVIEW_NOTIFY_ID,
        'Vault POST /request-clearance → pending review, three channels (webhook, Slack, email) delivered by the outbox worker',
        ['outbox rows in the clearance write; the worker delivers to loopback sinks in the same process (issue 17 target ≥ 0.9× the row without channels)'],
        [{ ref: REVIEW_ID, target: 0.9 }],
      ),
    ]
    const rows = await measureInterleaved(ctx, plans)
    const got = sinks.received()
    for (const r of rows) if (r.id === REVIEW_NOTIFY_ID) r.notes.push(`sinks received ${got.http} HTTP deliveries and ${got.mails} mails during the runs`)
    return rows
  } finally {
    if (typeof plain !== 'string') await stopManaged(plain.m)
    if (typeof notify !== 'string') await stopManaged(notify.m)
    await sinks.close()
  }
}
