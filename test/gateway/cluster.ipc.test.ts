// The IPC VaultPort between cluster workers and the primary, over an in-memory channel pair: burns
// and key fetches round-trip, a silent primary times out as vault_unavailable, close() settles all.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { BurnRequest, BurnResult, VaultPort } from '../../src/core/index.ts'
import { IpcVaultPort, serveVaultOverIpc } from '../../src/gateway/index.ts'
import type { IpcEndpoint } from '../../src/gateway/index.ts'

/** Two ends; what one sends the other receives (JSON round trip, as node's IPC serialises). */
function channelPair(): [IpcEndpoint, IpcEndpoint] {
  const a = new EventEmitter()
  const b = new EventEmitter()
  const end = (self: EventEmitter, peer: EventEmitter): IpcEndpoint => ({
    send: (m: unknown) => setImmediate(() => peer.emit('message', JSON.parse(JSON.stringify(m)))),
    on: (e, l) => self.on(e, l),
    off: (e, l) => self.off(e, l),
  })
  return [end(a, b), end(b, a)]
}

/** A real IPC channel keeps a worker's event loop alive; the in-memory pair does not (the sweeper is unref'd). */
function keepAlive(t: { after(fn: () => void): void }): void {
  const timer = setInterval(() => undefined, 1000)
  t.after(() => clearInterval(timer))
}

const REQUEST: BurnRequest = { token: 'x.y.z', jti: 'jti-1', kid: 'k1', expSeconds: 2_000_000_000, agentId: 'agent-7' }

test('burns and JWKS fetches round-trip to the primary port; its answer is passed through unchanged', async (t) => {
  const [worker, primary] = channelPair()
  const burned = new Set<string>()
  const port: VaultPort = {
    fetchJwks: async () => ({ jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] }, maxAgeSeconds: 300 }),
    burn: async (r): Promise<BurnResult> => {
      if (burned.has(r.jti)) return { ok: false, code: 'token_replayed', detail: 'Token already used.' }
      burned.add(r.jti)
      return { ok: true }
    },
    close: async () => undefined,
  }
  const detach = serveVaultOverIpc(primary, port)
  const ipc = new IpcVaultPort(worker, 1000)
  t.after(async () => {
    detach()
    await ipc.close()
  })
  const results = await Promise.all([ipc.burn(REQUEST), ipc.burn(REQUEST), ipc.burn({ ...REQUEST, jti: 'jti-2' })])
  assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.code)).sort(), ['ok', 'ok', 'token_replayed'])
  const jwks = await ipc.fetchJwks()
  assert.deepEqual(jwks.jwks.keys.map((k) => k.kid), ['k1'])
  assert.equal(jwks.maxAgeSeconds, 300)
  assert.equal(ipc.pending, 0)
})

test('a primary that never answers → vault_unavailable within the timeout; a failed JWKS read rejects', async (t) => {
  keepAlive(t)
  const [worker] = channelPair()
  const ipc = new IpcVaultPort(worker, 150)
  t.after(() => ipc.close())
  const started = performance.now()
  const result = await ipc.burn(REQUEST)
  assert.equal(result.ok ? 'ok' : result.code, 'vault_unavailable')
  assert.ok(performance.now() - started < 1000)
  await assert.rejects(ipc.fetchJwks(), /did not answer in time/)
})

test('close() settles every pending burn as vault_unavailable and refuses new ones', async (t) => {
  keepAlive(t)
  const [worker] = channelPair()
  const ipc = new IpcVaultPort(worker, 10_000)
  const pending = ipc.burn(REQUEST)
  await ipc.close()
  const result = await pending
  assert.equal(result.ok ? 'ok' : result.code, 'vault_unavailable')
  const after = await ipc.burn(REQUEST)
  assert.equal(after.ok ? 'ok' : after.code, 'vault_unavailable')
})
