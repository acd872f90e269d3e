// Crash safety of the ledger (Tessera's fault test → fsck): a Vault child is SIGKILLed during a storm
// of concurrent clearances; after a restart on the same data dir the sealer continues from the store,
// /ledger/verify is intact, and every acknowledged request id is in the ledger with an inclusion proof.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.ts'
import { exited, startVaultChild } from './fixtures/vault-child-process.ts'
import { call } from '../vault/helpers.ts'

const KEY = 'sk_test_ledger_crash_bootstrap_0123456789'
/** Concurrent clients, each sending clearances back to back until the Vault is gone (bounded). */
const WORKERS = 32
const MAX_REQUESTS = 5_000
const KILL_AFTER = 120

test('SIGKILL during an append storm: after restart every acknowledged decision is sealed and the ledger verifies', async (t) => {
  const dataDir = tempDir(t, 'ledgix-ledger-crash-')
  let { child, base } = await startVaultChild(dataDir, KEY)
  t.after(() => child.kill('SIGKILL'))
  const policy = { policy_id: 'p', rules: [{ id: 'ok', description: '', when: 'tool_name == "ping"', effect: 'allow', reason: 'ok' }] }
  assert.equal((await call(base, 'POST', '/register-policy', { key: KEY, body: policy })).status, 200)

  const acknowledged: string[] = []
  let failed = 0
  let sent = 0
  // A continuous storm rather than one burst: a burst could be answered in full before the kill
  // lands (the test then proved nothing about a crash mid-write), a stream cannot.
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (sent < MAX_REQUESTS) {
        const i = sent++
        try {
          const res = await call(base, 'POST', '/request-clearance', { key: KEY, body: { tool_name: i % 3 === 0 ? 'refund' : 'ping', tool_args: { i } } })
          if (res.status === 200) acknowledged.push(res.body.request_id)
          if (acknowledged.length >= KILL_AFTER && child.signalCode === null) child.kill('SIGKILL')
        } catch {
          failed++ // the server is gone: this request was never acknowledged
          return
        }
      }
    }),
  )
  await exited(child)
  assert.ok(acknowledged.length >= KILL_AFTER, `acknowledged ${acknowledged.length}`)
  assert.ok(failed > 0, 'killed mid-storm')

  ;({ child, base } = await startVaultChild(dataDir, KEY))
  // The sealer picks up what the crash left unsealed at start; give it a bounded moment.
  let summary: any = null
  for (let i = 0; i < 100; i++) {
    summary = (await call(base, 'GET', '/ledger/verification-summary', { key: KEY })).body
    if (summary.unsealed_entries === 0) break
    await new Promise((r) => setTimeout(r, 50))
  }
  assert.equal(summary.unsealed_entries, 0, 'everything sealed after restart')
  assert.ok(summary.entries >= acknowledged.length)
  const verify = (await call(base, 'GET', '/ledger/verify', { key: KEY })).body
  assert.equal(verify.intact, true, verify.error)
  assert.equal(verify.tree_size, summary.entries)
  const sealed = new Set<string>()
  for (let cursor: string | undefined, i = 0; i < 20; i++) {
    const page = (await call(base, 'GET', `/ledger?limit=1000${cursor === undefined ? '' : `&after=${cursor}`}`, { key: KEY })).body
    for (const e of page.entries) if (e.leaf_index !== null) sealed.add(e.request_id)
    cursor = page.next_cursor
    if (cursor === undefined) break
  }
  const missing = acknowledged.filter((id) => !sealed.has(id))
  assert.deepEqual(missing, [], 'no acknowledged decision is missing from the sealed ledger')
  for (const id of acknowledged.slice(0, 10)) {
    assert.equal((await call(base, 'GET', `/ledger/proof/bundle?request_id=${id}`, { key: KEY })).status, 200)
  }
})
