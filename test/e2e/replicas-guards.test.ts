// Two Vault replicas (real `serve` processes, vault-only, one PostgreSQL schema) and two paired
// gateways, one per replica, in front of one upstream: the guards are the database's, so they hold
// across processes — a token is forwarded once whichever gateway and replica see it, a review is
// decided once, an Idempotency-Key makes one decision — and what one replica changes (an API key
// revoked, a signing key rotated, a policy registered) is in force on the other within 1 s.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { bearer, send } from '../helpers/http-client.ts'
import type { Reply } from '../helpers/http-client.ts'
import { adminQuery, skipWithoutPostgres } from '../helpers/postgres.ts'
import { REPLICA_ADMIN_KEY, staleness, startReplicaCluster } from '../helpers/replicas.ts'
import type { ReplicaCluster } from '../helpers/replicas.ts'
import { sleep } from '../helpers/serve-process.ts'

/** The staleness bound the README promises for revocations, rotations and policies across replicas. */
const BOUND_MS = 1_000

if (skipWithoutPostgres !== false) {
  test('replicas: guards across two Vault replicas', { skip: skipWithoutPostgres }, () => {})
} else {
  describe('replicas: guards across two Vault replicas and two paired gateways', () => {
    let c: ReplicaCluster
    before(async () => {
      c = await startReplicaCluster({ vaults: 2, gateways: 2 })
    })
    after(async () => {
      await c?.close()
    })

    const clearance = (i: number, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply> =>
      c.post(i, '/request-clearance', { agent_id: 'agent-r', session_id: 's', ...body }, headers)
    const admin = (i: number, method: string, path: string, body?: unknown): Promise<Reply> =>
      send(`${c.vaults[i]!.vaultUrl}/admin${path}`, {
        method,
        headers: { 'x-admin-api-key': REPLICA_ADMIN_KEY, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })

    test('one token sent 200 times concurrently across both gateways → exactly one upstream call', async () => {
      const granted = await clearance(0, { tool_name: 'pay', tool_args: { amount: 5 } })
      assert.equal(granted.json['status'], 'approved', granted.text)
      const token = granted.json['token'] as string
      const hitsBefore = c.upstream!.hits
      const replies = await Promise.all(
        Array.from({ length: 200 }, (_, i) => send(`${c.gateways[i % 2]!.gatewayUrl}/v1/charge`, { method: 'POST', headers: bearer(token), body: '{}' })),
      )
      const statuses = replies.map((r) => r.status)
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${[...new Set(statuses)].join(',')}`)
      assert.ok(statuses.every((s) => s === 200 || s === 409), `only 200 and 409: ${[...new Set(statuses)].join(',')}`)
      assert.equal(c.upstream!.hits - hitsBefore, 1, 'the upstream saw the token once')
      const burns = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.burns`)
      assert.equal(burns[0]!.n, 1)
    })

    test('one review decided concurrently on both replicas → exactly one 200, the rest 409', async () => {
      const pending = await clearance(1, { tool_name: 'wire', tool_args: { amount: 9000 } })
      assert.equal(pending.json['status'], 'pending_review', pending.text)
      const id = pending.json['request_id'] as string
      const replies = await Promise.all(
        Array.from({ length: 16 }, (_, i) => c.post(i % 2, `/reviews/${id}/decision`, { approved: i % 4 < 2, review_reason: `reviewer ${i}` })),
      )
      const statuses = replies.map((r) => r.status)
      assert.equal(statuses.filter((s) => s === 200).length, 1, statuses.join(','))
      assert.equal(statuses.filter((s) => s === 409).length, 15, statuses.join(','))
      const winner = replies.find((r) => r.status === 200)!
      // Both replicas now report the winner's decision.
      for (const i of [0, 1]) assert.equal((await c.get(i, `/clearance-status/${id}`)).json['status'], winner.json['status'])
    })

    test('the same Idempotency-Key on /request-clearance at both replicas → one decision, one request_id', async () => {
      const key = `idem-${Date.now()}`
      const body = { tool_name: 'pay', tool_args: { amount: 77 } }
      const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => clearance(i % 2, body, { 'idempotency-key': key })))
      for (const r of replies) assert.equal(r.status, 200, r.text)
      const ids = new Set(replies.map((r) => r.json['request_id']))
      assert.equal(ids.size, 1, `request ids: ${[...ids].join(',')}`)
      const tokens = new Set(replies.map((r) => r.json['token']))
      assert.equal(tokens.size, 1, 'one minted token, replayed')
      const rows = await adminQuery<{ n: number }>(`SELECT count(*)::int AS n FROM ${c.schema}.clearances WHERE tool_name = 'pay' AND tool_args_hash = (SELECT tool_args_hash FROM ${c.schema}.clearances WHERE request_id = $1)`, [[...ids][0]])
      assert.equal(rows[0]!.n, 1, 'one clearance row')
    })

    test(`an API key revoked on replica A is refused on replica B within ${BOUND_MS} ms; a rotation on A gives B the same JWKS and signer within it`, async () => {
      const created = await admin(0, 'POST', '/tenants/default/api-keys', { name: 'short-lived', role: 'agent' })
      assert.equal(created.status, 201, created.text)
      const key = created.json['api_key'] as string
      const useOn = (i: number): Promise<Reply> => send(`${c.vaults[i]!.vaultUrl}/reviews`, { headers: { 'x-vault-api-key': key } })
      assert.equal((await useOn(1)).status, 200, 'B accepts a key A created')
      const revoked = await admin(0, 'DELETE', `/tenants/default/api-keys/${created.json['key_id'] as string}`)
      assert.equal(revoked.status, 200, revoked.text)
      const staleFor = await staleness(async () => (await useOn(1)).status === 401)
      assert.ok(staleFor <= BOUND_MS, `B still accepted the revoked key ${staleFor} ms after the revocation`)

      const jwks = async (i: number): Promise<string> => (await send(`${c.vaults[i]!.vaultUrl}/.well-known/jwks.json`)).text
      assert.equal(await jwks(0), await jwks(1))
      const rotated = await admin(0, 'POST', '/keys/rotate')
      assert.equal(rotated.status, 200, rotated.text)
      const afterRotation = await jwks(0)
      const staleJwks = await staleness(async () => (await jwks(1)) === afterRotation)
      assert.ok(staleJwks <= BOUND_MS, `B still served the old JWKS ${staleJwks} ms after the rotation`)
      const active = [(await admin(0, 'GET', '/keys')).json['active_kid'], (await admin(1, 'GET', '/keys')).json['active_kid']]
      assert.equal(active[0], active[1], 'both replicas sign with the rotated key')
      // B mints with it, and a gateway paired to A accepts B's token (one key ring).
      const token = (await clearance(1, { tool_name: 'pay', tool_args: { amount: 1 } })).json['token'] as string
      assert.equal(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).kid, active[0])
      await sleep(50)
      const through = await send(`${c.gateways[0]!.gatewayUrl}/v1/charge`, { method: 'POST', headers: bearer(token), body: '{}' })
      assert.equal(through.status, 200, through.text)
    })

    test(`a policy registered on replica A decides on replica B within ${BOUND_MS} ms`, async () => {
      // B has the tenant's policy set cached (this decision used it).
      assert.equal((await clearance(1, { tool_name: 'pay', tool_args: { amount: 2 } })).json['status'], 'approved')
      const registered = await c.post(0, '/register-policy', {
        policy_id: 'replicas',
        tools: ['pay', 'wire'],
        rules: [{ id: 'deny-all', when: 'true', effect: 'deny', reason: 'frozen by the operator' }],
      })
      assert.equal(registered.status, 200, registered.text)
      const staleFor = await staleness(async () => (await clearance(1, { tool_name: 'pay', tool_args: { amount: 3 } })).json['status'] === 'denied')
      assert.ok(staleFor <= BOUND_MS, `B still decided with the old policy ${staleFor} ms after the registration`)
    })
  })
}
