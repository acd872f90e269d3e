// Runs the real CLI as a separate process, as an operator does, against the test PostgreSQL
// (LEDGIX_DATABASE_URL), for the `-c FILE` suites on PostgreSQL.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { PG_TEST_URL, adminQuery } from '../helpers/postgres.ts'

const BIN = resolve(import.meta.dirname, '../../bin/ledgix-gateway.mjs')
/** README "Operating several replicas": API-key revocation and key-ring changes reach every replica within 1 s. */
export const BOUND_MS = 1_000

export interface CliRun {
  code: number | null
  out: string
  err: string
}

/** The real CLI, as an operator runs it (bounded: a hung command fails the test instead of hanging it). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '', LEDGIX_DATABASE_URL: PG_TEST_URL, ...env },
    })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')))
    child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`ledgix-gateway ${args.join(' ')} did not exit within 60 s: ${out} ${err}`))
    }, 60_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolveRun({ code, out, err })
    })
  })
}

export async function activeKeys(schema: string): Promise<string[]> {
  const rows = await adminQuery<{ kid: string }>(`SELECT kid FROM ${schema}.signing_keys WHERE retired_at IS NULL AND revoked_at IS NULL`)
  return rows.map((r) => r.kid)
}
