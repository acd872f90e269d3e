// A closed SQLite ledger for stored-verification tests (40 sealed rows in 10 checkpoints of 4, then
// 2 unsealed rows), SQL tampers, and a verification of a tampered copy with chosen workers and page size.
import assert from 'node:assert/strict'
import { createPublicKey, randomUUID } from 'node:crypto'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import { ManualClock } from '../../src/core/index.ts'
import type { TenantId } from '../../src/core/index.ts'
import { base64urlDecode, createNodeSigner, ed25519PrivateKeyFromSeed, LedgerService, nodeLedgerCrypto, verifyStoredLedger } from '../../src/ledger/index.ts'
import type { StoreVerification } from '../../src/ledger/index.ts'
import { openRetainedDatabase, openSqliteStore } from '../../src/store/index.ts'
import type { DecisionEvent } from '../../src/store/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

export const PRIVATE = ed25519PrivateKeyFromSeed(new Uint8Array(32).fill(21))
export const SIGNER = createNodeSigner('workers-kid', PRIVATE)
const JWK = createPublicKey(PRIVATE).export({ format: 'jwk' })
export const JWKS = { keys: [{ ...JWK, kid: 'workers-kid' }] }
export const RAW_KEY = base64urlDecode(JWK.x!)!
export const TENANT = 'tenant-w' as TenantId
export const SEALED = 40
export const UNSEALED = 2

export function event(i: number): DecisionEvent {
  return {
    tenantId: TENANT, eventUuid: randomUUID(), eventType: 'clearance', requestId: `req-w-${i}`, toolName: 'pay', toolArgs: { amount: i, memo: `m${i}` },
    agentId: 'a', policyId: 'p', reason: 'ok', citations: [{ policyId: 'p', ruleId: 'r' }], evidenceChunks: [], confidence: 0.95, confidenceBucket: 'extra_high',
    decisionStatus: 'approved', approved: true, acceptedAt: new Date(1_800_000_000_000 + i).toISOString(), intentHash: 'ab'.repeat(32),
    ruleSetHash: 'cd'.repeat(32), matchedRuleIds: ['r'], evalInputsHash: '', evalTraceHash: '', classifierLabel: '', classifierConfidenceBucket: '', canonicalVersion: 3,
  }
}

/** A closed store: 40 sealed rows in checkpoints of 4 (10 checkpoints), then 2 unsealed rows. */
export async function buildLedger(t: { after(fn: () => void): void }): Promise<string> {
  const dir = tempDir(t, 'ledgix-workers-')
  const store = openSqliteStore({ path: join(dir, 'vault.db') })
  const svc = new LedgerService({
    store, clock: new ManualClock(1_800_000_000_000), signer: () => SIGNER, sealBatchSize: 1000, sealIntervalMs: 60_000, mmdSeconds: 30,
    encryptionKey: null, onError: (err) => { throw err },
  })
  for (let i = 0; i < SEALED; i += 4) {
    for (let j = i; j < i + 4; j++) await svc.append(event(j))
    assert.equal(await svc.sealer.sealBatch(TENANT), 4)
  }
  for (let j = SEALED; j < SEALED + UNSEALED; j++) await svc.append(event(j))
  await store.close()
  return dir
}

/** Flip one character of the receipt signature of the row with this tenant seq. */
export const badSignature = (seq: number): string =>
  `UPDATE decision_events SET receipt_signature = substr(receipt_signature, 1, 5) || ` +
  `(CASE WHEN substr(receipt_signature, 6, 1) = 'A' THEN 'B' ELSE 'A' END) || substr(receipt_signature, 7) WHERE tenant_seq = ${seq}`
export const changedArgs = (seq: number): string => `UPDATE decision_events SET tool_args = json_set(tool_args, '$.amount', 999) WHERE tenant_seq = ${seq}`

export async function verifyCopy(
  t: { after(fn: () => void): void }, base: string, sql: readonly string[], workers: number, pageSize: number, mode: 'full' | 'tree' = 'full',
): Promise<StoreVerification> {
  const dir = tempDir(t, 'ledgix-workers-copy-')
  cpSync(base, dir, { recursive: true })
  const db = openRetainedDatabase(join(dir, 'vault.db'))
  for (const s of sql) db.exec(s)
  db.close()
  const store = openSqliteStore({ path: join(dir, 'vault.db') })
  try {
    return await verifyStoredLedger(store, TENANT, {
      pinnedJwks: JWKS, crypto: nodeLedgerCrypto, body: async () => null, mode, pageSize, signatureWorkers: workers,
    })
  } finally {
    await store.close()
  }
}

