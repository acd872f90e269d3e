// `serve` with open event streams (issue 18): the embedded Vault's /metrics (admin listener) counts
// them in ledgix_sse_connections, and SIGTERM drains to exit 0 without waiting on them.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStream } from '../dashboard/sse-client.ts'
import { send } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'

test('vault-only: ledgix_sse_connections on /metrics follows open streams; SIGTERM with streams open exits 0 and ends them', async (t) => {
  const data = mkdtempSync(join(tmpdir(), 'ledgix-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const key = 'sk_test_vault_only_sse'
  const proc = await spawnServe(
    `mode: vault-only\nadmin:\n  listen: { host: 127.0.0.1, port: 0 }\nvault_server:\n  listen: { host: 127.0.0.1, port: 0 }\n  data_dir: ${data}\n`,
    { env: { LEDGIX_BOOTSTRAP_API_KEY: key } },
  )
  t.after(() => proc.stop())
  const gauge = async (): Promise<number> => Number(/^ledgix_sse_connections (\d+)$/m.exec((await send(`${proc.adminUrl}/metrics`)).text)?.[1])
  assert.equal(await gauge(), 0)
  // The Vault's body budget is exported beside it (serve wires every Vault metric into /metrics).
  const exported = (await send(`${proc.adminUrl}/metrics`)).text
  assert.match(exported, /^ledgix_vault_inflight_body_bytes 0$/m)
  assert.match(exported, /^ledgix_vault_body_refusals_total 0$/m)
  const streams = [await openStream(proc.vaultUrl, '/events/stream', key), await openStream(proc.vaultUrl, '/events/stream', key)]
  assert.deepEqual(streams.map((s) => s.status), [200, 200])
  assert.equal(await gauge(), 2)
  streams[1]!.close()
  let now = await gauge()
  for (let i = 0; i < 100 && now !== 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    now = await gauge()
  }
  assert.equal(now, 1)
  proc.child.kill('SIGTERM')
  assert.equal(await proc.exited, 0)
  await streams[0]!.waitForEnd()
})
