// What the PostgreSQL store's multi-row runs buy (src/store/postgres/batch-ops.ts): `token_burn`
// writes and `/request-clearance`-shaped decision appends (clearance + token + idempotency record +
// ledger event) through one PostgresStore, in a closed loop of C concurrent writers for a few seconds,
// three ways: `one-by-one` (each caller in its own SAVEPOINT, one transaction at a time: the first
// PostgreSQL driver), `multi-row` (runs as multi-row statements, one transaction at a time) and
// `multi-row, 4 in flight` (as shipped with the default pool), rounds interleaved. Prints writes/s, writes per commit and PostgreSQL's CPU per write (the server
// processes' utime+stime from /proc, when the server runs on this machine).
// Usage: node --import tsx bench/micro/pg-batch.ts [seconds=3] [concurrency=1,16,64,256] [rounds=2]
//   LEDGIX_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test); each run in its own schema, dropped after.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { openPostgresStore, type PostgresStore, type WriteOp } from '../../src/store/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { uuidv7 } from '../../src/core/uuid7.ts'
import { pgCpuSeconds, taggedPgUrl } from '../lib/pg-cpu.ts'

const seconds = Number(process.argv[2] ?? 3)
const levels = (process.argv[3] ?? '1,16,64,256').split(',').map(Number)
const rounds = Number(process.argv[4] ?? 2)
const url = process.env.LEDGIX_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const T = 'bench' as TenantId
const schemas: string[] = []

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(sql)
  } finally {
    await c.end()
  }
}

function decision(n: number): WriteOp[] {
  const requestId = uuidv7()
  const at = Date.now()
  return [
    { op: 'clearance_insert', clearance: {
      tenantId: T, requestId, kind: 'clearance', status: 'approved', decisionStatus: 'approved', token: 'tok', jti: `j-${requestId}`, reason: 'within policy',
      reasonCode: null, confidence: 0.93, confidenceBucket: 'high', minimumConfidenceScore: 0.8, minimumConfidenceBucket: 'high', policyId: 'p',
      policyVersionId: null, policyContentHash: null, toolName: 'refund', toolArgs: { amount: n }, toolArgsHash: 'sha256:00', agentId: 'bot',
      sessionId: '', context: {}, matchedRuleIds: ['r1'], reviewState: null, reviewExpiresAtMs: null, reviewer: null, reviewReason: null,
      decidedByKeyId: null, decidedByRole: null, decisionChannel: null, parentRequestId: null, createdAtMs: at, updatedAtMs: at,
    } },
    { op: 'token_insert', token: { jti: `j-${requestId}`, tenantId: T, requestId, agentId: 'bot', toolName: 'refund', kid: 'k', expSeconds: 9e9, mintedAtMs: at } },
    { op: 'idempotency_insert', record: { tenantId: T, route: 'clearance', key: requestId, bodyHash: 'b', requestId, statusCode: 200, responseJson: '{"status":"approved"}', createdAtMs: at } },
    { op: 'event_insert', event: {
      tenantId: T, eventUuid: uuidv7(), eventType: 'clearance', requestId, toolName: 'refund', agentId: 'bot', policyId: 'p',
      body: { toolArgsJson: `{"amount":${n}}`, reason: 'within policy', citationsJson: '[]', evidenceChunksJson: '[]' }, bodyCipher: null,
      confidence: 0.93, confidenceBucket: 'high', decisionStatus: 'approved', approved: true, acceptedAt: new Date(at).toISOString(),
      intentHash: 'i'.repeat(64), ruleSetHash: 'r'.repeat(64), matchedRuleIds: ['r1'], evalInputsHash: 'e'.repeat(64), evalTraceHash: 't'.repeat(64),
      classifierLabel: 'refund', classifierConfidenceBucket: 'high', canonicalVersion: 3, eventHash: randomBytes(32).toString('hex'),
      leafHash: randomBytes(32).toString('hex'), receiptAlgorithm: 'Ed25519', receiptKeyId: 'k', receiptPayload: 'x'.repeat(300), receiptSignature: 's'.repeat(86),
    } },
  ]
}

async function measure(store: PostgresStore, tag: string, kind: 'burn' | 'append', concurrency: number): Promise<{ rps: number; perCommit: number; pgCpuUs: number | null }> {
  const deadline = Date.now() + seconds * 1000
  const commits0 = store.commitCount
  const cpu0 = await pgCpuSeconds(url, tag)
  let done = 0
  const t0 = performance.now()
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (Date.now() < deadline) {
      const ops: WriteOp[] = kind === 'burn'
        ? [{ op: 'token_burn', jti: uuidv7(), callerTenant: T, agentId: 'bot', expSeconds: 9e9, atMs: Date.now() }]
        : decision(done)
      const r = await store.write(ops)
      if (!r.ok) throw new Error(`write refused: ${JSON.stringify(r)}`)
      done++
    }
  }))
  const elapsed = (performance.now() - t0) / 1000
  const cpu1 = await pgCpuSeconds(url, tag)
  const commits = store.commitCount - commits0
  return { rps: done / elapsed, perCommit: done / Math.max(1, commits), pgCpuUs: cpu0 === null || cpu1 === null ? null : ((cpu1.backends - cpu0.backends) * 1e6) / done }
}

const stores: Record<string, PostgresStore> = {}
const tags = new Map<PostgresStore, string>()
try {
  const modes: Array<[string, boolean, number]> = [['one-by-one', false, 1], ['multi-row', true, 1], ['multi-row, 4 in flight', true, 4]]
  for (const [name, multiRow, maxInFlight] of modes) {
    const schema = `ledgix_bench_${randomBytes(4).toString('hex')}`
    schemas.push(schema)
    const s = await openPostgresStore({ url: taggedPgUrl(url, schema), schema, multiRow, maxInFlight, max: 8 })
    tags.set(s, schema)
    await s.write([{ op: 'tenant_insert', tenant: { tenantId: T, name: 'bench', createdAtMs: 1 } }])
    stores[name] = s
  }
  const rows: Array<{ kind: string; mode: string; c: number; rps: number[]; perCommit: number[]; cpu: number[] }> = []
  for (let r = 0; r < rounds; r++) {
    for (const kind of ['burn', 'append'] as const) {
      for (const c of levels) {
        for (const [mode, store] of Object.entries(stores)) {
          const m = await measure(store, tags.get(store)!, kind, c)
          let row = rows.find((x) => x.kind === kind && x.mode === mode && x.c === c)
          if (row === undefined) rows.push((row = { kind, mode, c, rps: [], perCommit: [], cpu: [] }))
          row.rps.push(m.rps)
          row.perCommit.push(m.perCommit)
          if (m.pgCpuUs !== null) row.cpu.push(m.pgCpuUs)
          process.stdout.write(JSON.stringify({ kind, mode, concurrency: c, round: r, writes_per_s: Math.round(m.rps), per_commit: +m.perCommit.toFixed(1), pg_cpu_us_per_write: m.pgCpuUs === null ? null : Math.round(m.pgCpuUs) }) + '\n')
        }
      }
    }
  }
  const med = (xs: number[]): number => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!)
  process.stdout.write('\n| write | path | writers | writes/s | writes per commit | PostgreSQL CPU µs per write | runs (writes/s) |\n|---|---|---:|---:|---:|---:|---|\n')
  for (const x of rows) {
    process.stdout.write(`| ${x.kind === 'burn' ? 'token_burn' : 'decision append'} | ${x.mode} | ${x.c} | ${Math.round(med(x.rps)).toLocaleString('en')} | ${med(x.perCommit).toFixed(1)} | ${x.cpu.length ? Math.round(med(x.cpu)) : 'n/a'} | ${x.rps.map((v) => Math.round(v)).join(' / ')} |\n`)
  }
} finally {
  for (const s of Object.values(stores)) await s.close()
  if (schemas.length > 0) await admin(schemas.map((s) => `DROP SCHEMA IF EXISTS ${s} CASCADE`).join('; '))
}
