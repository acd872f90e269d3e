// The dedicated PostgreSQL session of the key cache, the sealer election and the live-event channel
// (src/store/postgres/dedicated-connection.ts), against the real server: a severed session is seen as
// down and comes back by itself (its LISTEN again); close() while a reconnect waits, or while an attempt
// is in flight, leaves no session, no timer and no socket behind, so a process that closes it can exit.
// The live-event channel, its one user with no test of its own, keeps its gap reports over it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, type Socket } from 'node:net'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { PgDedicatedConnection } from '../../src/store/postgres/dedicated-connection.ts'
import type { PgDedicatedSession } from '../../src/store/postgres/dedicated-connection.ts'
import { PgLiveEventChannel } from '../../src/store/postgres/live-channel.ts'
import { createPgPool } from '../../src/store/postgres/pool.ts'
import { PG_TEST_URL, adminQuery, skipWithoutPostgres } from '../helpers/postgres.ts'
import { eventually } from '../helpers/serve-process.ts'

const skip = skipWithoutPostgres

/** An application_name no other test uses: pg_stat_activity tells exactly this file's sessions. */
function appName(): string {
  return `ledgix-t-dedicated-${process.pid}-${randomBytes(3).toString('hex')}`
}

async function sessionsOf(name: string): Promise<number[]> {
  const rows = await adminQuery<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [name])
  return rows.map((r) => r.pid)
}

function recorder(name: string, extra: Partial<PgDedicatedSession> = {}): { session: PgDedicatedSession; log: string[] } {
  const log: string[] = []
  const session: PgDedicatedSession = {
    applicationName: name, firstRetryMs: 100, maxRetryMs: 400,
    onUp: (again) => log.push(again ? 'up-again' : 'up'),
    onDown: () => log.push('down'),
    ...extra,
  }
  return { session, log }
}

test('dedicated connection: pg_terminate_backend of its session → down, then up again by itself, LISTEN renewed', { skip }, async (t) => {
  const name = appName()
  const channel = `ledgix_t_dc_${randomBytes(4).toString('hex')}`
  const heard: string[] = []
  const { session, log } = recorder(name, {
    prepare: (client) => client.query(`LISTEN ${channel}`),
    onNotification: (m) => heard.push(m.payload ?? ''),
  })
  const conn = new PgDedicatedConnection({ url: PG_TEST_URL }, session)
  t.after(() => conn.close())
  assert.equal(conn.state, 'idle')
  await conn.start()
  assert.equal(conn.state, 'up')
  assert.deepEqual(log, ['up'])
  const first = conn.pid
  assert.ok(first !== null)
  assert.deepEqual(await sessionsOf(name), [first], 'one session, under the given application_name')
  await adminQuery('SELECT pg_notify($1, $2)', [channel, 'one'])
  await eventually(() => heard.length === 1, 2_000)

  await adminQuery('SELECT pg_terminate_backend($1)', [first])
  await eventually(() => log.includes('down'), 2_000)
  await eventually(() => conn.state === 'up', 3_000)
  assert.deepEqual(log, ['up', 'down', 'up-again'])
  assert.equal(conn.losses, 1)
  assert.ok(conn.pid !== null && conn.pid !== first, 'a new session')
  assert.deepEqual(await sessionsOf(name), [conn.pid])
  await adminQuery('SELECT pg_notify($1, $2)', [channel, 'two'])
  await eventually(() => heard.length === 2, 2_000)
  assert.deepEqual(heard, ['one', 'two'])
  assert.equal(await conn.probe(), true)
})

test('dedicated connection: a failed probe takes it down; a query while down is refused, never hangs', { skip }, async (t) => {
  const name = appName()
  const { session, log } = recorder(name, { queryTimeoutMs: 300, firstRetryMs: 200 })
  const conn = new PgDedicatedConnection({ url: PG_TEST_URL }, session)
  t.after(() => conn.close())
  await conn.start()
  // A statement slower than the client-side bound counts as a dead session.
  await assert.rejects(conn.query('SELECT pg_sleep(2)'), /timeout/i)
  assert.equal(conn.state, 'down')
  assert.deepEqual(log, ['up', 'down'])
  await assert.rejects(conn.query('SELECT 1'), /not connected/)
  assert.equal(await conn.probe(), false)
  await eventually(() => conn.state === 'up', 3_000)
  assert.equal(await conn.probe(), true)
})

test('dedicated connection: close() while a reconnect waits → no timer, no new session, ever', { skip }, async () => {
  const name = appName()
  const { session, log } = recorder(name, { firstRetryMs: 300, maxRetryMs: 300 })
  const conn = new PgDedicatedConnection({ url: PG_TEST_URL }, session)
  await conn.start()
  await adminQuery('SELECT pg_terminate_backend($1)', [conn.pid])
  await eventually(() => conn.state === 'down', 2_000)
  assert.equal(conn.retryPending, true)
  await conn.close()
  assert.equal(conn.state, 'closed')
  assert.equal(conn.retryPending, false)
  // Well past the retry delay: nobody reconnected.
  await sleep(800)
  assert.deepEqual(log, ['up', 'down'])
  assert.deepEqual(await sessionsOf(name), [])
  // Closed stays closed.
  await conn.connect()
  assert.equal(conn.state, 'closed')
  assert.deepEqual(await sessionsOf(name), [])
})

test('dedicated connection: close() during a connect attempt ends it at once; a failed first attempt retries with a growing delay', async (t) => {
  // A stand-in that accepts and never answers: the attempt hangs until its 30 s connect timeout.
  const sockets = new Set<Socket>()
  const silent = createServer((s) => {
    sockets.add(s)
    s.resume() // read (and drop) the startup message, so the peer's close is seen
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r))
  t.after(() => new Promise<void>((r) => silent.close(() => r())))
  const port = (silent.address() as { port: number }).port
  const url = `postgres://postgres@127.0.0.1:${port}/test`
  const conn = new PgDedicatedConnection({ url, connectTimeoutMs: 30_000 }, recorder('unused').session)
  const started = conn.start()
  await eventually(() => sockets.size === 1, 2_000)
  assert.equal(conn.state, 'connecting')
  const t0 = Date.now()
  await conn.close()
  await started
  assert.ok(Date.now() - t0 < 2_000, 'close() did not wait for the connect timeout')
  assert.equal(conn.retryPending, false)
  await eventually(() => sockets.size === 0, 2_000)

  // Refused attempts: down, retried at 100, 200, 400, 400 ms … (first 100, max 400).
  const refused = new PgDedicatedConnection({ url: 'postgres://postgres@127.0.0.1:1/test' }, recorder('unused', { firstRetryMs: 100, maxRetryMs: 400 }).session)
  await assert.rejects(refused.connect(), /ECONNREFUSED/)
  assert.equal(refused.state, 'down')
  assert.equal(refused.retryPending, false, 'connect() alone schedules nothing: the owner decides')
  await refused.start()
  assert.equal(refused.retryPending, true)
  await sleep(1_000)
  assert.equal(refused.state, 'down')
  await refused.close()
  assert.equal(refused.retryPending, false)
})

const MODULE = resolve(import.meta.dirname, '../../src/store/postgres/dedicated-connection.ts')
const CHILD = `
import pg from 'pg'
import { PgDedicatedConnection } from ${JSON.stringify(MODULE)}
const [url, name] = process.argv.slice(-2)
const conn = new PgDedicatedConnection({ url }, { applicationName: name, firstRetryMs: 200, maxRetryMs: 200 })
await conn.start()
const admin = new pg.Client({ connectionString: url })
await admin.connect()
await admin.query('SELECT pg_terminate_backend($1)', [conn.pid])
await admin.end()
while (conn.state !== 'down') await new Promise((r) => setTimeout(r, 20))
await conn.close()
process.stdout.write(JSON.stringify({ state: conn.state, retryPending: conn.retryPending }) + '\\n')
// No process.exit: the process must end by itself, nothing of the connection keeping it alive.
`

test('dedicated connection: a process that closes it while a reconnect waits exits by itself', { skip }, async () => {
  const name = appName()
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CHILD, PG_TEST_URL, name], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c))
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c))
  const code = await new Promise<number | null>((r) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.on('close', (c) => {
      clearTimeout(kill)
      r(c)
    })
  })
  assert.equal(code, 0, `the child exited by itself (stderr: ${err})`)
  assert.deepEqual(JSON.parse(out), { state: 'closed', retryPending: false })
  assert.deepEqual(await sessionsOf(name), [])
})

test('live channel over it: a severed LISTEN session reports a gap when lost and again when back, then delivers', { skip }, async (t) => {
  const options = { url: PG_TEST_URL, schema: `ledgix_t_live_${randomBytes(4).toString('hex')}` }
  const pool = createPgPool(options)
  const channel = new PgLiveEventChannel(pool, options)
  t.after(async () => {
    await channel.close()
    await pool.end()
  })
  const payloads: string[] = []
  let gaps = 0
  await channel.listen((p) => payloads.push(p), () => gaps++)
  channel.notify('before')
  await eventually(() => payloads.length === 1, 2_000)
  const pid = channel.listenerPid
  assert.ok(pid !== null)
  await adminQuery('SELECT pg_terminate_backend($1)', [pid])
  // One gap when the session is lost, one when the LISTEN is back (500 ms later): what was sent between is gone.
  await eventually(() => gaps === 2 && channel.listenerPid !== null, 5_000)
  assert.notEqual(channel.listenerPid, pid)
  channel.notify('after')
  await eventually(() => payloads.length === 2, 2_000)
  assert.deepEqual(payloads, ['before', 'after'])
  assert.equal(gaps, 2)
})
