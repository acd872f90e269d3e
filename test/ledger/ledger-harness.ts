// Shared fixtures for ledger integration tests: a Vault with an allow/deny policy in tenants A and B,
// a fast sealer, helpers that make decisions and read the ledger, and the SDK's view of a row
// (fetchLedger() camelCases every nested key before recomputing, spec §7.2).
import assert from 'node:assert/strict'
import type { VaultLedgerConfig } from '../../src/config/types-vault.ts'
import { camelKeys } from '../helpers/ledgix-client.ts'
import { call, startHarness } from '../vault/helpers.ts'
import type { Harness, HarnessOptions } from '../vault/helpers.ts'

export const FAST_LEDGER: VaultLedgerConfig = { sealBatchSize: 8, sealIntervalMs: 20, mmdSeconds: 30, encryptionKey: null }

const POLICY = {
  policy_id: 'ledger-test',
  description: 'allow pings, deny refunds',
  tools: [],
  rules: [
    { id: 'deny-refund', description: '', when: 'tool_name == "stripe_refund"', effect: 'deny', reason: 'Refunds need a human.' },
    { id: 'allow-rest', description: '', when: 'tool_name != "stripe_refund"', effect: 'allow', reason: 'Allowed.' },
  ],
}

export async function ledgerHarness(
  t: { after(fn: () => unknown): void },
  ledger: Partial<VaultLedgerConfig> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const h = await startHarness(t, { ...options, config: { ...options.config, ledger: { ...FAST_LEDGER, ...ledger } } })
  for (const key of [h.keys.admin, h.keys.bAdmin]) {
    const res = await call(h.base, 'POST', '/register-policy', { key, body: POLICY })
    assert.equal(res.status, 200, res.text)
  }
  return h
}

/** `n` clearances (every fifth a denied refund) with the given key; returns their request ids. */
export async function decide(h: Harness, n: number, key = h.keys.agent, args: (i: number) => object = (i) => ({ amount: i, currency: 'usd' })): Promise<string[]> {
  const responses = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      call(h.base, 'POST', '/request-clearance', { key, body: { tool_name: i % 5 === 4 ? 'stripe_refund' : 'ping', tool_args: args(i), agent_id: 'agent-1' } }),
    ),
  )
  return responses.map((r) => {
    assert.equal(r.status, 200, r.text)
    return r.body.request_id as string
  })
}

export async function sealAll(h: Harness): Promise<void> {
  await h.server.context.ledgerService.sealer.flush()
}

export async function getJson(h: Harness, path: string, key = h.keys.agent): Promise<any> {
  const res = await call(h.base, 'GET', path, { key })
  assert.equal(res.status, 200, `${path}: ${res.text}`)
  return res.body
}

export async function jwks(h: Harness): Promise<unknown> {
  return (await call(h.base, 'GET', '/.well-known/jwks.json')).body
}

/** What the SDK's fetchLedger() hands its verifier: nested keys camelCased (its exact rule: ledgix-client.ts). */
export function sdkView(entry: Record<string, unknown>): Record<string, unknown> {
  return { ...entry, tool_args: camelKeys(entry.tool_args ?? {}), citations: camelKeys(entry.citations ?? []), evidence_chunks: camelKeys(entry.evidence_chunks ?? []) }
}
