// A model of the all-in-one token-gated path for choosing where the SQLite writer runs (ARCHITECTURE.md
// "Storage"): per request one Ed25519 verify (the gateway's CPU cost), one durable burn of a fresh jti
// (the product's SqliteStore: WAL, group commit), then the proxied upstream call.
// `main`: the store as shipped, writer on this thread, burn batches made durable by an fdatasync of
// the WAL on the libuv pool; `inline`: the same store with every COMMIT at synchronous=FULL (the WAL
// fsynced on this thread, as before the deferred sync); `worker`: a worker_thread owns the writer
// connection (burn-writer-worker.ts) and this thread only posts batches. Compared by
// burn-writer-compare.ts.
// Usage: node --import tsx bench/micro/burn-server.ts <main|inline|worker> <db-path> <upstream-origin>
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Worker } from 'node:worker_threads'
import { Pool } from 'undici'
import type { TenantId } from '../../src/core/index.ts'
import { openSqliteStore } from '../../src/store/index.ts'
import type { WriteOp, WriteResult } from '../../src/store/index.ts'

const [mode, dbPath, upstream] = process.argv.slice(2) as [string, string, string]
const pool = new Pool(upstream, { connections: 128, keepAliveTimeout: 4_000 })
const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const message = randomBytes(180)
const signature = sign(null, message, privateKey)
const prefix = randomBytes(8).toString('hex')
let counter = 0

type Burn = (ops: readonly WriteOp[]) => Promise<WriteResult>

function mainThreadWriter(inline: boolean): Burn {
  const store = openSqliteStore(inline ? { path: dbPath, walSync: false } : { path: dbPath })
  return (ops) => store.write(ops)
}

/** Batches per event-loop turn to the worker; one message each way per batch. */
function workerWriter(): Burn {
  const worker = new Worker(new URL('./burn-writer-worker.mjs', import.meta.url), { workerData: { path: dbPath } })
  const waiting = new Map<number, (r: WriteResult) => void>()
  let outbox: Array<{ id: number; ops: readonly WriteOp[] }> = []
  let nextId = 0
  worker.on('message', (replies: Array<{ id: number; result: WriteResult }>) => {
    for (const r of replies) {
      waiting.get(r.id)!(r.result)
      waiting.delete(r.id)
    }
  })
  worker.on('error', (err) => {
    process.stderr.write(`writer worker failed: ${err.stack ?? String(err)}\n`)
    process.exit(1)
  })
  const send = (): void => {
    worker.postMessage(outbox)
    outbox = []
  }
  return (ops) =>
    new Promise<WriteResult>((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      if (outbox.length === 0) setImmediate(send)
      outbox.push({ id, ops })
    })
}

const burn = mode === 'worker' ? workerWriter() : mainThreadWriter(mode === 'inline')
const TENANT = 'bench' as TenantId

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!verify(null, message, publicKey, signature)) throw new Error('reference signature failed')
  const result = await burn([{ op: 'burn', jti: `${prefix}-${counter++}`, tenantId: TENANT, agentId: 'bench-agent', expSeconds: 0, atMs: Date.now() }])
  if (!result.ok) {
    res.statusCode = 409
    res.end()
    return
  }
  const up = await pool.request({ origin: upstream, method: 'GET', path: req.url ?? '/' })
  const body = await up.body.arrayBuffer()
  res.statusCode = up.statusCode
  res.setHeader('content-type', 'application/json')
  res.end(Buffer.from(body))
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  handle(req, res).catch((err: unknown) => {
    res.statusCode = 500
    res.end(String(err))
  })
}

const server = createServer({ keepAliveTimeout: 65_000 }, onRequest)
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }) + '\n')
})
process.on('SIGTERM', () => process.exit(0))
