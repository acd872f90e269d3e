// Crash safety of burns (ARCHITECTURE.md "Storage"): a Vault process consuming tokens is killed with
// SIGKILL mid-run; after a restart on the same data dir, no token whose burn was acknowledged (200)
// is accepted again, and tokens never consumed still work (the test can tell the difference).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.ts'
import { exited, startVaultChild } from './fixtures/vault-child-process.ts'
import { call } from '../vault/helpers.ts'

const KEY = 'sk_test_crash_bootstrap_key_0123456789'
const TOKENS = 80

test('SIGKILL during a burn storm: no acknowledged burn is accepted after restart', async (t) => {
  const dataDir = tempDir(t, 'ledgix-crash-')
  let { child, base } = await startVaultChild(dataDir, KEY)
  t.after(() => child.kill('SIGKILL'))
  const policy = { policy_id: 'p', rules: [{ id: 'ok', description: '', when: 'tool_name == "ping"', effect: 'allow', reason: 'ok' }] }
  assert.equal((await call(base, 'POST', '/register-policy', { key: KEY, body: policy })).status, 200)
  const tokens: string[] = []
  const approvals = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) => call(base, 'POST', '/request-clearance', { key: KEY, body: { tool_name: 'ping', tool_args: { i } } })),
  )
  for (const res of approvals) {
    assert.equal(res.body.status, 'approved')
    tokens.push(res.body.token)
  }
  // Burn in waves of 8 concurrent consumes; kill the process once 30 burns were acknowledged.
  const acknowledged = new Set<string>()
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tokens.length) {
      const token = tokens[next++]!
      try {
        const res = await call(base, 'POST', '/consume-token', { key: KEY, body: { token } })
        if (res.status === 200) acknowledged.add(token)
        if (acknowledged.size >= 30 && child.signalCode === null) child.kill('SIGKILL')
      } catch {
        return // the server is gone
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  await exited(child)
  assert.ok(acknowledged.size >= 30, `acknowledged ${acknowledged.size}`)
  assert.ok(acknowledged.size < TOKENS, 'killed mid-run')

  ;({ child, base } = await startVaultChild(dataDir, KEY))
  for (const token of acknowledged) {
    const res = await call(base, 'POST', '/consume-token', { key: KEY, body: { token } })
    assert.equal(res.status, 409, 'an acknowledged burn survived the crash')
  }
  const untouched = tokens.slice(-5)
  for (const token of untouched) {
    const res = await call(base, 'POST', '/consume-token', { key: KEY, body: { token } })
    assert.equal(res.status, 200, 'tokens never consumed are still good: the restart lost no key material')
  }
})
