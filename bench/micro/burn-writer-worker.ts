// The worker half of burn-server.ts `worker` mode: owns the SQLite writer connection (the product's
// SqliteStore, so the same pragmas, savepoints and group commit) and answers each batch of writes
// with one message once they are committed. The event loop of the main thread stays free while this
// thread waits for fsync.
import { parentPort, workerData } from 'node:worker_threads'
import { openSqliteStore } from '../../src/store/index.ts'
import type { WriteOp, WriteResult } from '../../src/store/index.ts'

const store = openSqliteStore({ path: (workerData as { path: string }).path })
let replies: Array<{ id: number; result: WriteResult }> = []

function flushReplies(): void {
  parentPort!.postMessage(replies)
  replies = []
}

function onCommitted(id: number, result: WriteResult): void {
  if (replies.length === 0) setImmediate(flushReplies)
  replies.push({ id, result })
}

parentPort!.on('message', (batch: Array<{ id: number; ops: WriteOp[] }>) => {
  for (const w of batch) {
    store.write(w.ops).then(
      (result) => onCommitted(w.id, result),
      (err: unknown) => onCommitted(w.id, { ok: false, failedOp: -1, opName: String(err) as WriteOp['op'] }),
    )
  }
})
