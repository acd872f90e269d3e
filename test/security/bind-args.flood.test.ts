// Issue 16, availability, as reported: one token, 150 incomplete 1 MiB bodies against a real `serve`
// process (paired mode). Before the fix the gateway buffered every one of them (+154 MiB RSS); now
// the first is read, the rest are refused at once with 409 token_in_use, the process's memory stays
// flat, and other routes keep answering. RSS is read from /proc, so this runs on Linux only.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { toolArgsHash } from '../../src/token/index.ts'
import { send } from '../helpers/http-client.ts'
import { pairedYaml, sleep, spawnServe } from '../helpers/serve-process.ts'
import type { ServeProcess } from '../helpers/serve-process.ts'
import { mint, newSigner } from '../helpers/tokens.ts'
import { Upstream } from '../helpers/upstream.ts'
import { VaultStub } from '../helpers/vault-stub.ts'
import { HeldBody } from './held-body.ts'

const MiB = 1024 * 1024
const FLOOD = 150
const skip = existsSync('/proc/self/status') ? false : 'reads the gateway process RSS from /proc'

const signer = newSigner('key-1')
let vault: VaultStub
let upstream: Upstream
let gw: ServeProcess

before(async () => {
  if (skip !== false) return
  vault = await new VaultStub([signer]).start()
  upstream = await new Upstream().start()
  gw = await spawnServe(
    pairedYaml(
      vault.url,
      `  - name: refunds
    match: { path_prefix: /v1 }
    upstream: ${upstream.url}
    tools: [stripe_refund]
    bind_args: exact
    max_body: 1mib
  - name: health
    match: { path_prefix: /health }
    upstream: ${upstream.url}
    auth: none
`,
    ),
  )
})

after(async () => {
  if (skip !== false) return
  await gw.stop()
  await upstream.close()
  await vault.close()
})

function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Number(/(\d+)/.exec(line)![1]) * 1024
}

test('one token, 150 incomplete 1 MiB bodies: one is held, 149 refused at once (409 token_in_use); RSS stays flat; other routes answer', { skip }, async (t) => {
  const held: HeldBody[] = []
  t.after(() => Promise.all(held.map((b) => b.destroy())))
  const pad = 'x'.repeat(MiB - '{"pad":""}'.length)
  const body = Buffer.from(`{"pad":"${pad}"}`)
  const token = mint(signer, { claims: { tool_args_hash: toolArgsHash({ pad }) } })
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': String(MiB) }
  // Warm up (JIT, pools) so the baseline is the steady state.
  for (let i = 0; i < 3; i++) assert.equal((await send(`${gw.gatewayUrl}/health`)).status, 200)
  const pid = gw.child.pid!
  const baseline = rssBytes(pid)
  const first = new HeldBody(gw.gatewayUrl, '/v1/refunds', headers, body.subarray(0, MiB - 1))
  held.push(first)
  await sleep(300)
  // Each of the others sends all but the last byte of its body, as in the report.
  for (let i = 1; i < FLOOD; i++) held.push(new HeldBody(gw.gatewayUrl, '/v1/refunds', headers, body.subarray(0, MiB - 1)))
  let peak = baseline
  const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20)
  try {
    const flood = held.slice(1)
    await Promise.all(flood.map((b) => b.answered(15_000)))
    const codes = await Promise.all(flood.map((b) => b.code()))
    assert.deepEqual(new Set(codes), new Set(['token_in_use']), `statuses: ${[...new Set(flood.map((b) => b.status))].join(',')}`)
    await sleep(300)
    assert.equal(first.status, 0, 'the first body is still incomplete: no answer yet')
    assert.equal((await send(`${gw.gatewayUrl}/health`)).status, 200, 'another route answers during the flood')
    peak = Math.max(peak, rssBytes(pid))
  } finally {
    clearInterval(sampler)
  }
  const grownMiB = (peak - baseline) / MiB
  // Buffering all of them would add ~150 MiB; one body plus socket and parser buffers is a few MiB.
  assert.ok(grownMiB < 48, `gateway RSS grew ${grownMiB.toFixed(1)} MiB during the flood`)
  assert.equal(vault.consumeCalls, 0, 'no burn while the body is incomplete')
  assert.equal(upstream.hits, 4, 'the three warm-ups and the one during the flood')
  first.send(body.subarray(MiB - 1))
  await first.answered(10_000)
  assert.equal(first.status, 200, first.response.slice(0, 200))
  assert.equal(vault.consumeCalls, 1)
  assert.equal(upstream.hits, 5)
  t.diagnostic(`RSS growth during the flood: ${grownMiB.toFixed(1)} MiB`)
})
