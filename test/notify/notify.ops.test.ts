// Issue 17 operations: delivery metrics per channel type in the /metrics registry (sent, failed,
// retried, dead-lettered, latency, outbox depth, oldest undelivered age) and the CLI
// `ledgix-gateway notify test -c FILE`, run in-process against a real data dir and receivers.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { Registry } from 'prom-client'
import { buildProgram } from '../../src/cli/program.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { startReceiver } from './receiver.ts'
import { putChannels, requestReview, startNotifyHarness, waitForDeliveries, webhookChannel } from './setup.ts'

function sample(text: string, line: string): number | null {
  for (const l of text.split('\n')) if (l.startsWith(line + ' ')) return Number(l.slice(line.length + 1))
  return null
}

test('metrics: attempts by channel and outcome, latency histogram, outbox depth and oldest age', async (t) => {
  const h = await startNotifyHarness(t, { maxAttempts: 2 })
  const registry = new Registry()
  h.server.context.notify!.registerMetrics(registry)
  const ok = await startReceiver(t)
  ok.script = [500]
  const down = await startReceiver(t)
  down.fallback = 500
  await putChannels(h, [webhookChannel(ok.url, { id: 'ok' }), webhookChannel(down.url, { id: 'down' })])
  await requestReview(h)
  await waitForDeliveries(h, 'delivered', 1)
  await waitForDeliveries(h, 'dead', 1)
  const text = await registry.metrics()
  assert.equal(sample(text, 'ledgix_notify_attempts_total{channel="webhook",outcome="sent"}'), 1)
  assert.equal(sample(text, 'ledgix_notify_attempts_total{channel="webhook",outcome="failed"}'), 3)
  assert.equal(sample(text, 'ledgix_notify_attempts_total{channel="webhook",outcome="retried"}'), 2)
  assert.equal(sample(text, 'ledgix_notify_attempts_total{channel="webhook",outcome="dead_lettered"}'), 1)
  assert.equal(sample(text, 'ledgix_notify_attempt_duration_seconds_count{channel="webhook"}'), 4)
  assert.equal(sample(text, 'ledgix_notify_outbox_depth'), 0)
  assert.equal(sample(text, 'ledgix_notify_dead_letters'), 1)
  assert.equal(sample(text, 'ledgix_notify_oldest_undelivered_age_seconds'), 0)

  // A receiver that hangs keeps a row pending: depth 1 and a growing age.
  const hang = await startReceiver(t)
  hang.fallback = 'hang'
  await putChannels(h, [webhookChannel(hang.url, { id: 'hang' })])
  await requestReview(h)
  await hang.waitFor(1)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const later = await registry.metrics()
  assert.equal(sample(later, 'ledgix_notify_outbox_depth'), 1)
  assert.ok(sample(later, 'ledgix_notify_oldest_undelivered_age_seconds')! > 0)
})

async function runCli(args: string[]): Promise<{ out: string; err: string; exitCode: number }> {
  const program = buildProgram()
  const run = { out: '', err: '', exitCode: 0 }
  const each = (cmd: Command): void => {
    cmd.exitOverride()
    cmd.configureOutput({ writeOut: (s) => void (run.out += s), writeErr: (s) => void (run.err += s) })
    cmd.commands.forEach(each)
  }
  each(program)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', ...args])
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    run.exitCode = err.exitCode
  }
  return run
}

test('CLI notify test -c FILE: one line per channel, exit 1 when one failed; the receivers got the test event', async (t) => {
  const h = await startNotifyHarness(t)
  const good = await startReceiver(t)
  const bad = await startReceiver(t)
  bad.fallback = 500
  await putChannels(h, [webhookChannel(good.url, { id: 'good' }), webhookChannel(bad.url, { id: 'bad' })])
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, `mode: vault-only\nvault_server:\n  data_dir: ${h.dataDir}\n  notifications:\n    allow_private_targets: true\n    attempt_timeout: 2s\n`)
  const r = await runCli(['notify', 'test', '-c', file, '--tenant', h.tenantA])
  assert.equal(r.exitCode, 1, r.err)
  assert.match(r.out, /^webhook good: delivered \(200\)$/m)
  assert.match(r.out, /^webhook bad: failed \(500\): receiver answered 500/m)
  assert.match(r.err, /one or more channels failed/)
  assert.equal(good.received[0]!.json.type, 'notification.test')

  await putChannels(h, [webhookChannel(good.url, { id: 'good' })])
  const fine = await runCli(['notify', 'test', '-c', file, '--tenant', h.tenantA])
  assert.deepEqual(fine, { out: 'webhook good: delivered (200)\n', err: '', exitCode: 0 })
  const none = await runCli(['notify', 'test', '-c', file, '--tenant', 'nobody'])
  assert.match(none.out, /no enabled notification channel/)
})
