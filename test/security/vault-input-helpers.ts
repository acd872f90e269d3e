// Shared by the vault-input security suites: raw-byte requests to a real Vault (test/vault/helpers.ts)
// and the "nothing was stored" snapshot of a tenant (clearances and ledger rows).
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { request } from 'undici'
import type { TenantId } from '../../src/core/index.ts'
import type { Harness } from '../vault/helpers.ts'

export interface RawAnswer {
  status: number
  contentType: string
  body: Record<string, unknown> | null
  text: string
}

/** One request with the body sent byte for byte (a string is sent as UTF-8, a Buffer as is). */
export async function sendRaw(h: Harness, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<RawAnswer> {
  const res = await request(h.base + path, { method: method as 'POST', headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body }) })
  const text = await res.body.text()
  let parsed: Record<string, unknown> | null = null
  try {
    parsed = JSON.parse(text) as Record<string, unknown>
  } catch {
    parsed = null
  }
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: parsed, text }
}

/** A 400 problem+json in the Ledgix shape (`error` mirrors `code`), with a detail matching `detail`. */
export function assertProblem400(a: RawAnswer, detail: RegExp, where: string): void {
  assert.equal(a.status, 400, `${where}: ${a.text.slice(0, 300)}`)
  assert.match(a.contentType, /^application\/problem\+json/, where)
  assert.ok(a.body !== null, `${where}: a JSON body`)
  assert.ok(a.body.code === 'invalid_request' || a.body.code === 'invalid_json', `${where}: code ${String(a.body.code)}`)
  assert.equal(a.body.error, a.body.code, where)
  assert.equal(a.body.status, 400, where)
  assert.match(String(a.body.detail), detail, where)
  assert.equal(typeof a.body.request_id, 'string', where)
}

export interface Snapshot {
  clearances: number
  ledger: number
}

/** How many clearances (every kind and status) and ledger rows a tenant has, read from the SQLite file. */
export async function snapshot(h: Harness, tenant: TenantId = h.tenantA): Promise<Snapshot> {
  const db = new Database(join(h.dataDir, 'vault.db'), { readonly: true, fileMustExist: true })
  try {
    const clearances = (db.prepare('SELECT count(*) AS n FROM clearances WHERE tenant_id = ?').get(tenant) as { n: number }).n
    const ledger = (await h.server.context.store.countLedgerEvents(tenant)).total
    return { clearances, ledger }
  } finally {
    db.close()
  }
}

/** `{"a":{"a":…1…}}` nested `levels` objects deep, as raw JSON text. */
export function deepObject(levels: number): string {
  return '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)
}

/** `[[…1…]]` nested `levels` arrays deep, as raw JSON text. */
export function deepArray(levels: number): string {
  return '['.repeat(levels) + '1' + ']'.repeat(levels)
}

/** `prefix + bytes + suffix` as one Buffer: invalid UTF-8 inside an otherwise valid JSON string. */
export function withBytes(prefix: string, bytes: readonly number[], suffix: string): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'utf8'), Buffer.from(bytes), Buffer.from(suffix, 'utf8')])
}
