// The burn's fsync off the event loop (group-commit.ts): burn-only batches of two or more callers
// COMMIT at synchronous=NORMAL and are answered only after an fdatasync of the WAL that started after
// their COMMIT; every other batch (a lone burn too) commits at FULL; a failed sync fails the store
// closed. The sync function
// is replaced here by one the test releases by hand, in front of a real SQLite file.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fstatSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ApiKeyId, TenantId } from '../../src/core/index.ts'
import { LedgixError } from '../../src/core/index.ts'
import { openRetainedDatabase, openSqliteStore, type SqliteStore, type WriteOp, type WriteResult } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const T = 't' as TenantId
let seq = 0
const burn = (jti = `0193aaaa-${(seq++).toString(16).padStart(8, '0')}`): WriteOp => ({
  op: 'token_burn',
  jti,
  callerTenant: T,
  agentId: 'agent',
  expSeconds: 4_000_000_000,
  atMs: 1,
})
const tenant = (id: string): WriteOp => ({ op: 'tenant_insert', tenant: { tenantId: id as TenantId, name: id, createdAtMs: 1 } })

/** A WAL sync the test completes by hand: `calls` holds each pending call's fd and completion. */
function heldSync(): { fn: (fd: number, done: (err: Error | null) => void) => void; calls: Array<{ fd: number; done: (err: Error | null) => void }> } {
  const calls: Array<{ fd: number; done: (err: Error | null) => void }> = []
  return { calls, fn: (fd, done) => void calls.push({ fd, done }) }
}

/** Resolves to the settled state of `p` after the current turn's callbacks ran. */
async function state<T>(p: Promise<T>): Promise<'pending' | 'resolved' | 'rejected'> {
  let s: 'pending' | 'resolved' | 'rejected' = 'pending'
  p.then(
    () => (s = 'resolved'),
    () => (s = 'rejected'),
  )
  await new Promise((r) => setImmediate(r))
  await new Promise((r) => setImmediate(r))
  return s
}

function open(t: { after(fn: () => void): void }, sync: ReturnType<typeof heldSync>): { store: SqliteStore; path: string } {
  const path = join(tempDir(t), 'vault.db')
  const store = openSqliteStore({ path, walSync: sync.fn })
  return { store, path }
}

/** Read through a call: the property was narrowed to null by an assertion above it. */
function failureOf(store: SqliteStore): Error | null {
  return store.failure
}

function burnedOnDisk(path: string, jti: string): boolean {
  const db = openRetainedDatabase(path, { readonly: true })
  try {
    return db.prepare('SELECT 1 FROM burns WHERE jti = ?').get(jti) !== undefined
  } finally {
    db.close()
  }
}

test('deferred sync: burns are committed at synchronous=NORMAL, synced after their COMMIT, answered only after the sync', async (t) => {
  const sync = heldSync()
  const { store, path } = open(t, sync)
  const op = burn()
  const written = Promise.all([store.write([op]), store.write([burn()])])
  assert.equal(await state(written), 'pending')
  // The COMMIT happened (another connection sees the row) before the sync was asked for...
  assert.equal(sync.calls.length, 1)
  assert.equal(burnedOnDisk(path, (op as { jti: string }).jti), true)
  assert.equal(store.writerPragma('synchronous'), 1) // NORMAL: this COMMIT did not fsync
  // ...and the sync is of the live WAL file.
  assert.equal(fstatSync(sync.calls[0]!.fd).ino, statSync(`${path}-wal`).ino)
  sync.calls[0]!.done(null)
  assert.deepEqual(await written, [{ ok: true }, { ok: true }])
  assert.equal(store.stats().deferredSyncs, 1)
  await store.close()
})

test('deferred sync: burns queued while a sync is in flight COMMIT together when it returns, then get their own sync', async (t) => {
  const sync = heldSync()
  const { store } = open(t, sync)
  const first = Promise.all([store.write([burn()]), store.write([burn()])])
  await state(first)
  const commitsBefore = store.commitCount
  const later = Array.from({ length: 50 }, () => store.write([burn()]))
  assert.equal(await state(Promise.all(later)), 'pending')
  assert.equal(store.commitCount, commitsBefore, 'no COMMIT while the sync is in flight')
  sync.calls[0]!.done(null)
  assert.deepEqual(await first, [{ ok: true }, { ok: true }])
  assert.equal(store.commitCount, commitsBefore + 1, 'the 50 burns share one COMMIT')
  assert.equal(sync.calls.length, 2)
  assert.equal(await state(Promise.all(later)), 'pending', 'not answered before their own sync')
  sync.calls[1]!.done(null)
  for (const r of await Promise.all(later)) assert.deepEqual(r, { ok: true })
  await store.close()
})

test('deferred sync: a replay inside one deferred batch is refused; the refusal also waits for the sync', async (t) => {
  const sync = heldSync()
  const { store } = open(t, sync)
  const op = burn()
  const a = store.write([op])
  const b = store.write([op])
  assert.equal(await state(a), 'pending')
  assert.equal(await state(b), 'pending')
  sync.calls[0]!.done(null)
  const results: WriteResult[] = [await a, await b]
  assert.deepEqual(results[0], { ok: true })
  assert.equal(results[1]!.ok, false)
  assert.equal(results[1]!.ok === false && results[1]!.refusal?.code, 'token_replayed')
  await store.close()
})

test('deferred sync: any other write commits at synchronous=FULL at once, even while a burn sync is in flight', async (t) => {
  const sync = heldSync()
  const { store, path } = open(t, sync)
  const b = Promise.all([store.write([burn()]), store.write([burn()])])
  await state(b)
  assert.equal(store.writerPragma('synchronous'), 1)
  const other = store.write([tenant('x')])
  assert.deepEqual(await other, { ok: true })
  assert.equal(store.writerPragma('synchronous'), 2) // FULL: that COMMIT fsynced the WAL itself
  assert.equal(sync.calls.length, 1, 'no deferred sync for a FULL commit')
  const db = openRetainedDatabase(path, { readonly: true })
  t.after(() => db.close())
  assert.ok(db.prepare('SELECT 1 FROM tenants WHERE tenant_id = ?').get('x'))
  // A batch mixing burns and another write is a FULL batch: answered at its COMMIT.
  assert.equal(await state(b), 'pending')
  const mixedBurn = store.write([burn()])
  const mixedTenant = store.write([tenant('y')])
  assert.deepEqual(await mixedBurn, { ok: true })
  assert.deepEqual(await mixedTenant, { ok: true })
  sync.calls[0]!.done(null)
  assert.deepEqual(await b, [{ ok: true }, { ok: true }])
  await store.close()
})

test('deferred sync: a failed fdatasync refuses the burns it covered and every later write, and reports the failure once', async (t) => {
  const sync = heldSync()
  const path = join(tempDir(t), 'vault.db')
  const failures: Error[] = []
  const store = openSqliteStore({ path, walSync: sync.fn, onFailure: (err) => failures.push(err) })
  const covered = Promise.all([store.write([burn()]), store.write([burn()])])
  await state(covered)
  const queued = store.write([burn()])
  assert.equal(await state(queued), 'pending') // held behind the sync in flight
  assert.equal(store.failure, null)
  sync.calls[0]!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }))
  for (const p of [covered, queued]) {
    await assert.rejects(p, (err: unknown) => err instanceof LedgixError && err.code === 'vault_unavailable' && /EIO/.test(err.detail))
  }
  assert.equal(failures.length, 1)
  assert.ok(failureOf(store) instanceof LedgixError)
  // Fail closed: no write of any kind is accepted afterwards, and none was retried on the sync.
  await assert.rejects(store.write([tenant('z')]), (err: unknown) => err instanceof LedgixError && err.code === 'vault_unavailable')
  await assert.rejects(store.write([burn()]), (err: unknown) => err instanceof LedgixError && err.code === 'vault_unavailable')
  assert.equal(sync.calls.length, 1)
  // Pending side work (an API key's last-used time) is dropped, not retried: close() returns.
  store.touchApiKey('key-1' as ApiKeyId, 5)
  await store.close()
})

test('deferred sync: close() waits for the sync in flight and for the burns queued behind it', async (t) => {
  const sync = heldSync()
  const { store, path } = open(t, sync)
  const first = Promise.all([store.write([burn()]), store.write([burn()])])
  await state(first)
  const op = burn()
  const second = Promise.all([store.write([op]), store.write([burn()])])
  const closed = store.close()
  assert.equal(await state(closed), 'pending')
  sync.calls[0]!.done(null)
  assert.deepEqual(await first, [{ ok: true }, { ok: true }])
  await state(second)
  assert.equal(sync.calls.length, 2, 'the queued burn was committed and synced before closing')
  assert.equal(await state(closed), 'pending')
  sync.calls[1]!.done(null)
  assert.deepEqual(await second, [{ ok: true }, { ok: true }])
  await closed
  assert.equal(burnedOnDisk(path, (op as { jti: string }).jti), true)
})

test('deferred sync: with the real fdatasync, acknowledged burns are on disk after reopen', async (t) => {
  const path = join(tempDir(t), 'vault.db')
  const store = openSqliteStore({ path })
  const ops = Array.from({ length: 200 }, () => burn())
  for (const r of await Promise.all(ops.map((op) => store.write([op])))) assert.deepEqual(r, { ok: true })
  const stats = store.stats()
  assert.ok(stats.deferredSyncs >= 1)
  assert.ok(stats.deferredSyncs <= store.commitCount)
  assert.equal(stats.writes, 200)
  assert.deepEqual([stats.commits, stats.failed], [store.commitCount, false])
  await store.close()
  for (const op of [ops[0]!, ops[199]!]) assert.equal(burnedOnDisk(path, (op as { jti: string }).jti), true)
})

test('deferred sync: a lone burn commits at synchronous=FULL and is answered at its COMMIT (one request pays no thread hand-off)', async (t) => {
  const sync = heldSync()
  const { store } = open(t, sync)
  assert.deepEqual(await store.write([burn()]), { ok: true })
  assert.equal(store.writerPragma('synchronous'), 2)
  assert.equal(sync.calls.length, 0)
  // Held behind a sync in flight, a lone burn still commits alone, at FULL, once that sync returns.
  const pair = Promise.all([store.write([burn()]), store.write([burn()])])
  await state(pair)
  const lone = store.write([burn()])
  assert.equal(await state(lone), 'pending')
  sync.calls[0]!.done(null)
  assert.deepEqual(await pair, [{ ok: true }, { ok: true }])
  assert.deepEqual(await lone, { ok: true })
  assert.equal(sync.calls.length, 1)
  assert.equal(store.writerPragma('synchronous'), 2)
  await store.close()
})

test('deferred sync: walSync false keeps every COMMIT at synchronous=FULL', async (t) => {
  const store = openSqliteStore({ path: join(tempDir(t), 'vault.db'), walSync: false })
  t.after(() => store.close())
  assert.deepEqual(await Promise.all([store.write([burn()]), store.write([burn()])]), [{ ok: true }, { ok: true }])
  assert.equal(store.writerPragma('synchronous'), 2)
  assert.equal(store.stats().deferredSyncs, 0)
})
