// The machine's PostgreSQL for driver tests (LEDGIX_TEST_PG_URL, default the CI server: trust auth,
// database `test`). Every store a test opens lives in its own schema, created here and dropped when
// the file's tests end. Outside CI an unreachable server skips the suites with a message; in CI
// (CI=true) it is a failure: the PostgreSQL contract must run there.
import { after } from 'node:test'
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const PG_TEST_URL = process.env.LEDGIX_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_TEST_URL, connectionTimeoutMillis: 3_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return null
  } catch (err) {
    return (err as Error).message || (err as { code?: string }).code || String(err)
  } finally {
    await client.end().catch(() => undefined)
  }
}

const failure = await probe()
if (failure !== null && process.env.CI === 'true') {
  throw new Error(`CI=true but PostgreSQL is unreachable at ${PG_TEST_URL} (${failure}): .ci/run starts it; see the env notes`)
}

/** Reason to pass as `{ skip }` to node:test, or false when PostgreSQL answers. */
export const skipWithoutPostgres: string | false =
  failure === null ? false : `PostgreSQL unreachable at ${PG_TEST_URL} (${failure}): set LEDGIX_TEST_PG_URL or start it to run these`

const created: string[] = []

/** A fresh schema name for this run (registered for DROP … CASCADE after the file's tests). */
export function testSchema(): string {
  const name = `ledgix_t_${process.pid}_${randomBytes(4).toString('hex')}`
  created.push(name)
  return name
}

/** Run SQL on the test database outside any store (set up hostile states, inspect). */
export async function adminQuery<R extends Record<string, unknown> = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: PG_TEST_URL })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

after(async () => {
  if (created.length === 0 || failure !== null) return
  await adminQuery(created.map((s) => `DROP SCHEMA IF EXISTS ${s} CASCADE`).join('; '))
})
