// gateway.workers: 2 in all-in-one: each worker has its own local replay cache, so copies of one
// token that land on different workers all reach the burn — which the primary's store decides once.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, send } from '../helpers/http-client.ts'
import { startStack } from '../helpers/mode-stack.ts'
import { eventually } from '../helpers/serve-process.ts'
import { mint } from '../helpers/tokens.ts'

const ROUTES = `  - name: payments
    match: { path_prefix: /v1 }
    upstream: UPSTREAM
    tools: [stripe_refund]
`

test('workers: 2 — 50 concurrent copies of one token across workers → exactly 1 upstream hit, 49 × 409; SIGTERM drains all', async (t) => {
  const s = await startStack('all-in-one', { routes: ROUTES, workers: 2 })
  t.after(() => s.close())
  const proc = s.gatewayProcess
  const signer = await s.signer()
  // Warm both workers (each learns the kid) with distinct tokens.
  for (let i = 0; i < 4; i++) assert.equal((await send(`${s.gatewayUrl}/v1/warm`, { method: 'POST', headers: bearer(mint(signer)) })).status, 200)
  const hits = s.upstream.hits
  const token = mint(signer)
  const replies = await Promise.all(Array.from({ length: 50 }, () => send(`${s.gatewayUrl}/v1/pay`, { method: 'POST', headers: bearer(token) })))
  const statuses = replies.map((r) => r.status)
  assert.equal(statuses.filter((x) => x === 200).length, 1, JSON.stringify(statuses))
  assert.equal(statuses.filter((x) => x === 409).length, 49)
  assert.ok(replies.every((r) => r.status === 200 || r.json['code'] === 'token_replayed'))
  assert.equal(s.upstream.hits, hits + 1)
  // The race really crossed workers: both answered some of the 50, and both asked the Vault.
  await eventually(() => proc.lines.filter((l) => l['msg'] === 'request' && l['route'] === 'payments').length >= 54)
  const payLines = proc.lines.filter((l) => l['msg'] === 'request' && l['route'] === 'payments').slice(-50)
  const workers = new Set(payLines.map((l) => l['worker']))
  assert.equal(workers.size, 2, `requests spread over workers ${[...workers].join(',')}`)
  const metrics = (await send(`${s.adminUrl}/metrics`)).text
  const vaultReplays = /ledgix_replay_rejections_total\{source="vault"\} (\d+)/.exec(metrics)
  assert.ok(vaultReplays !== null && Number(vaultReplays[1]) >= 1, 'at least one copy was refused by the authoritative burn, not a local cache')
  // The primary aggregates every worker's metrics on the admin port.
  const requests = [...metrics.matchAll(/^ledgix_gateway_requests_total\{[^}]*route="payments"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0)
  assert.equal(requests, 54)
  assert.equal((await send(`${s.adminUrl}/readyz`)).status, 200)
  // SIGTERM drains both workers, then the primary closes the Vault and exits 0.
  proc.child.kill('SIGTERM')
  assert.equal(await proc.exited, 0)
  assert.equal(proc.lines.filter((l) => l['msg'] === 'stopped').length, 3, 'two workers and the primary stopped')
})
