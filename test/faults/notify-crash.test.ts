// Issue 17: the Vault SIGKILLed with notification deliveries in flight. After a restart on the same
// data dir every outbox row is delivered: none lost (each acknowledged review reaches the receiver),
// none invented, and a duplicate only ever repeats an event id with the very same body.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.ts'
import { exited } from './fixtures/vault-child-process.ts'
import { call } from '../vault/helpers.ts'
import { startReceiver, verifyLedgixSignature } from '../notify/receiver.ts'
import { WEBHOOK_SECRET, webhookChannel } from '../notify/setup.ts'

const KEY = 'sk_test_notify_crash_bootstrap_0123456789'
const REVIEWS = 30
const CHILD = fileURLToPath(new URL('../notify/fixtures/notify-vault-child.ts', import.meta.url))

async function startChild(dataDir: string): Promise<{ child: ChildProcess; base: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir, KEY], { stdio: ['ignore', 'pipe', 'inherit'] })
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! })
    rl.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`vault child exited early (${code})`)))
  })
  return { child, base: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` }
}

test('SIGKILL with deliveries in flight: after restart every outbox row is delivered, none lost, duplicates only by event id', async (t) => {
  const dataDir = tempDir(t, 'ledgix-notify-crash-')
  const rx = await startReceiver(t)
  // The first eight sends hang (in flight, leased) when the process dies; later ones succeed.
  rx.script = Array.from({ length: 8 }, () => 'hang' as const)
  let { child, base } = await startChild(dataDir)
  t.after(() => child.kill('SIGKILL'))
  const put = await call(base, 'PUT', '/notification-settings', { key: KEY, body: { channels: [webhookChannel(rx.url)] } })
  assert.equal(put.status, 200)
  const acknowledged = new Set<string>()
  for (let i = 0; i < REVIEWS; i++) {
    const res = await call(base, 'POST', '/request-clearance', { key: KEY, body: { tool_name: 'pay', tool_args: { i }, agent_id: 'a' } })
    assert.equal(res.body.status, 'pending_review')
    acknowledged.add(res.body.request_id)
  }
  await rx.waitFor(8)
  child.kill('SIGKILL')
  await exited(child)
  const beforeRestart = rx.received.length

  ;({ child, base } = await startChild(dataDir))
  const until = Date.now() + 20_000
  let delivered: any[] = []
  while (Date.now() < until) {
    delivered = (await call(base, 'GET', '/notifications/deliveries?status=delivered&limit=500', { key: KEY })).body.deliveries
    if (delivered.length >= REVIEWS) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.equal(delivered.length, REVIEWS, 'every outbox row was delivered after the restart')
  const pending = (await call(base, 'GET', '/notifications/deliveries?status=pending', { key: KEY })).body.deliveries
  assert.equal(pending.length, 0)
  assert.ok(rx.received.length > beforeRestart, 'the restarted Vault delivered what the dead one had in flight')

  const bodyByEvent = new Map<string, string>()
  const requestsSeen = new Set<string>()
  for (const r of rx.received) {
    assert.ok(verifyLedgixSignature(r.body, r.headers['x-ledgix-signature'] as string, WEBHOOK_SECRET))
    const id = r.headers['x-ledgix-event-id'] as string
    const earlier = bodyByEvent.get(id)
    if (earlier !== undefined) assert.equal(r.body, earlier, 'a duplicate repeats the same event byte for byte')
    bodyByEvent.set(id, r.body)
    requestsSeen.add(r.json.review.request_id)
  }
  assert.equal(bodyByEvent.size, REVIEWS, 'one event per acknowledged review: none lost, none invented')
  assert.deepEqual([...requestsSeen].sort(), [...acknowledged].sort())
})
