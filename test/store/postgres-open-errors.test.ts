// Start-up errors of the PostgreSQL store, each against a real endpoint: a URL that is not a
// postgres:// URL, a refused connection (a closed loopback port), a rejected password (a loopback
// server speaking the PostgreSQL wire protocol answers the startup with FATAL 28P01, since the CI
// server trusts every login), a missing database (the real server), and an exhausted pool that
// answers within connect_timeout instead of hanging.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import { createPgPool, openPostgresStore } from '../../src/store/index.ts'
import { LedgixError, type TenantId } from '../../src/core/index.ts'
import { PG_TEST_URL, skipWithoutPostgres, testSchema } from '../helpers/postgres.ts'

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

async function openError(url: string): Promise<Error> {
  try {
    const store = await openPostgresStore({ url, schema: 'ledgix_never_created', connectTimeoutMs: 3_000 })
    await store.close()
  } catch (err) {
    return err as Error
  }
  throw new Error('the store opened')
}

test('postgres open: a URL that is not postgres:// is refused before any connection', async () => {
  for (const [url, text] of [
    ['not a url', /is not a URL: expected postgres:\/\/user:password@host:5432\/database/],
    ['mysql://root@127.0.0.1/x', /must start with postgres:\/\/ or postgresql:\/\/ \(got mysql:\/\/\)/],
    ['postgres://u:secret@127.0.0.1:5432', /names no database \(postgres:\/\/u:\*\*\*@127\.0\.0\.1:5432\)/],
  ] as const) {
    const err = await openError(url)
    assert.equal(err.name, 'StoreOpenError')
    assert.match(err.message, text)
    assert.doesNotMatch(err.message, /secret/, 'the password never appears')
  }
})

test('postgres open: a refused connection names the host and port', async () => {
  const server = createServer()
  const port = await listen(server)
  await new Promise((resolve) => server.close(resolve))
  const err = await openError(`postgres://postgres@127.0.0.1:${port}/test`)
  assert.equal(err.name, 'StoreOpenError')
  assert.equal(err.message, `cannot reach PostgreSQL at 127.0.0.1:${port}: connection refused (is it running and listening there?)`)
})

test('postgres open: a rejected password says so, naming the user, never the password', async (t) => {
  // Answers the startup message with ErrorResponse FATAL 28P01, as PostgreSQL does for a wrong password.
  const server = createServer((socket) => {
    socket.once('data', () => {
      const fields = Buffer.concat([
        Buffer.from('SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "ledgix"\0', 'utf8'),
        Buffer.from([0]),
      ])
      const head = Buffer.alloc(5)
      head.write('E', 0)
      head.writeInt32BE(fields.length + 4, 1)
      socket.end(Buffer.concat([head, fields]))
    })
  })
  const port = await listen(server)
  t.after(() => new Promise((resolve) => server.close(resolve)))
  const err = await openError(`postgres://ledgix:hunter2@127.0.0.1:${port}/vault`)
  assert.equal(err.name, 'StoreOpenError')
  assert.match(err.message, new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${port} refused user "ledgix": wrong password or not allowed`))
  assert.doesNotMatch(err.message, /hunter2/)
})

test('postgres open: a missing database is named', { skip: skipWithoutPostgres }, async () => {
  const url = new URL(PG_TEST_URL)
  url.pathname = '/ledgix_no_such_database'
  const err = await openError(url.toString())
  assert.equal(err.name, 'StoreOpenError')
  assert.match(err.message, /^PostgreSQL database "ledgix_no_such_database" does not exist at 127\.0\.0\.1:5432/)
})

test('postgres pool: an exhausted pool answers within connect_timeout instead of hanging', { skip: skipWithoutPostgres }, async (t) => {
  const pool = createPgPool({ url: PG_TEST_URL, schema: testSchema(), max: 1, connectTimeoutMs: 200 })
  t.after(() => pool.end())
  const held = await pool.connect()
  await assert.rejects(pool.connect(), /timeout/i)
  held.release()
  const again = await pool.connect()
  again.release()
})

test('postgres pool: statement_timeout bounds one statement', { skip: skipWithoutPostgres }, async (t) => {
  const pool = createPgPool({ url: PG_TEST_URL, max: 1, statementTimeoutMs: 100 })
  t.after(() => pool.end())
  await assert.rejects(pool.query('SELECT pg_sleep(5)'), (err: Error & { code?: string }) => err.code === '57014')
})

test('postgres store: a database that goes away answers 503 vault_unavailable on reads and writes, never hangs', { skip: skipWithoutPostgres }, async (t) => {
  // A loopback TCP relay to the real server, cut after the store opened.
  const target = new URL(PG_TEST_URL)
  const sockets = new Set<Socket>()
  const relay = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname)
    for (const s of [inbound, outbound]) {
      sockets.add(s)
      s.on('error', () => s.destroy())
      s.on('close', () => sockets.delete(s))
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  const port = await listen(relay)
  const url = new URL(PG_TEST_URL)
  url.port = String(port)
  const store = await openPostgresStore({ url: url.toString(), schema: testSchema(), connectTimeoutMs: 500 })
  t.after(() => store.close())
  await store.write([{ op: 'tenant_insert', tenant: { tenantId: 'x' as TenantId, name: 'x', createdAtMs: 1 } }])
  await new Promise<void>((resolve) => {
    relay.close(() => resolve())
    for (const s of sockets) s.destroy()
  })
  const isUnavailable = (err: unknown): boolean => err instanceof LedgixError && err.code === 'vault_unavailable'
  await assert.rejects(store.getTenant('x' as TenantId), isUnavailable)
  await assert.rejects(store.write([{ op: 'burn', jti: 'j', tenantId: 'x' as TenantId, agentId: 'a', expSeconds: 1, atMs: 1 }]), isUnavailable)
})
