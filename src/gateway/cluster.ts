// The VaultPort across node:cluster IPC. With `gateway.workers > 1` in all-in-one mode the store and
// key ring live in the primary only (one SQLite writer, one authoritative burn); each worker verifies
// and proxies on its own core and sends just the burn and the JWKS fetch to the primary here.
// Cost: two JSON IPC messages per burn (tens of µs on loopback), and every burn of every worker is
// served by the primary's event loop — verification and proxying scale with the workers, the burn
// stays exactly as authoritative as in one process (the store's unique jti).
import type { BurnRequest, BurnResult, JwksFetchResult, VaultPort } from '../core/index.ts'

/** The IPC end a worker (`process`) or the primary (`cluster.Worker`) offers. */
export interface IpcEndpoint {
  send(message: unknown): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
  off(event: 'message', listener: (message: unknown) => void): unknown
}

/** Messages on the wire. `t` namespaces ours apart from cluster's own and prom-client's. */
export type VaultIpcRequest =
  | { t: 'ledgix:vault'; id: number; op: 'burn'; request: BurnRequest }
  | { t: 'ledgix:vault'; id: number; op: 'jwks' }
export type VaultIpcReply =
  | { t: 'ledgix:vault-reply'; id: number; burn: BurnResult }
  | { t: 'ledgix:vault-reply'; id: number; jwks: JwksFetchResult }
  | { t: 'ledgix:vault-reply'; id: number; error: string }

interface Pending {
  resolve(reply: VaultIpcReply): void
  deadlineMs: number
}

/** One coarse timer checks deadlines instead of a timer per burn (STYLE §5: no per-request timers). */
const SWEEP_INTERVAL_MS = 100
const TIMED_OUT = 'Vault (cluster primary) did not answer in time; the token was not forwarded.'
const CHANNEL_CLOSED = 'Vault (cluster primary) is gone; the token was not forwarded.'

/** Worker side: burns and key fetches become requests to the primary. */
export class IpcVaultPort implements VaultPort {
  readonly #endpoint: IpcEndpoint
  readonly #timeoutMs: number
  readonly #pending = new Map<number, Pending>()
  readonly #onMessage: (message: unknown) => void
  #nextId = 1
  #sweeper: NodeJS.Timeout | null = null
  #closed = false

  constructor(endpoint: IpcEndpoint, timeoutMs: number) {
    this.#endpoint = endpoint
    this.#timeoutMs = timeoutMs
    this.#onMessage = (message) => this.#settle(message)
    endpoint.on('message', this.#onMessage)
  }

  async burn(request: BurnRequest): Promise<BurnResult> {
    const reply = await this.#call({ t: 'ledgix:vault', id: 0, op: 'burn', request })
    if ('burn' in reply) return reply.burn
    return { ok: false, code: 'vault_unavailable', detail: 'error' in reply ? reply.error : CHANNEL_CLOSED }
  }

  async fetchJwks(): Promise<JwksFetchResult> {
    const reply = await this.#call({ t: 'ledgix:vault', id: 0, op: 'jwks' })
    if ('jwks' in reply) return reply.jwks
    throw new Error(`JWKS from the cluster primary failed: ${'error' in reply ? reply.error : CHANNEL_CLOSED}`)
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#endpoint.off('message', this.#onMessage)
    if (this.#sweeper !== null) clearInterval(this.#sweeper)
    this.#sweeper = null
    for (const [id, p] of this.#pending) p.resolve({ t: 'ledgix:vault-reply', id, error: CHANNEL_CLOSED })
    this.#pending.clear()
  }

  get pending(): number {
    return this.#pending.size
  }

  #call(message: VaultIpcRequest): Promise<VaultIpcReply> {
    const id = this.#nextId++
    message.id = id
    return new Promise<VaultIpcReply>((resolve) => {
      if (this.#closed) {
        resolve({ t: 'ledgix:vault-reply', id, error: CHANNEL_CLOSED })
        return
      }
      this.#pending.set(id, { resolve, deadlineMs: Date.now() + this.#timeoutMs })
      if (this.#sweeper === null) {
        this.#sweeper = setInterval(sweep, SWEEP_INTERVAL_MS, this.#pending)
        this.#sweeper.unref()
      }
      try {
        this.#endpoint.send(message)
      } catch {
        this.#pending.delete(id)
        resolve({ t: 'ledgix:vault-reply', id, error: CHANNEL_CLOSED })
      }
    })
  }

  #settle(message: unknown): void {
    if (!isReply(message)) return
    const p = this.#pending.get(message.id)
    if (p === undefined) return
    this.#pending.delete(message.id)
    p.resolve(message)
  }
}

function sweep(pending: Map<number, Pending>): void {
  const nowMs = Date.now()
  for (const [id, p] of pending) {
    if (p.deadlineMs > nowMs) continue
    pending.delete(id)
    p.resolve({ t: 'ledgix:vault-reply', id, error: TIMED_OUT })
  }
}

function isReply(message: unknown): message is VaultIpcReply {
  return typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'ledgix:vault-reply'
}

function isRequest(message: unknown): message is VaultIpcRequest {
  return typeof message === 'object' && message !== null && (message as { t?: unknown }).t === 'ledgix:vault'
}

/**
 * Primary side: answer one worker's requests from `port` (the in-process VaultPort). Returns the
 * detach function. A failed JWKS read travels back as an error string, never a stack.
 */
export function serveVaultOverIpc(endpoint: IpcEndpoint, port: VaultPort): () => void {
  const onMessage = (message: unknown): void => {
    if (!isRequest(message)) return
    void answer(endpoint, port, message)
  }
  endpoint.on('message', onMessage)
  return () => endpoint.off('message', onMessage)
}

async function answer(endpoint: IpcEndpoint, port: VaultPort, message: VaultIpcRequest): Promise<void> {
  let reply: VaultIpcReply
  if (message.op === 'burn') {
    reply = { t: 'ledgix:vault-reply', id: message.id, burn: await port.burn(message.request) }
  } else {
    try {
      reply = { t: 'ledgix:vault-reply', id: message.id, jwks: await port.fetchJwks() }
    } catch (err) {
      reply = { t: 'ledgix:vault-reply', id: message.id, error: err instanceof Error ? err.message : 'JWKS unavailable' }
    }
  }
  try {
    endpoint.send(reply)
  } catch {
    // The worker died while we burned: its client sees the connection drop; the burn stands.
  }
}
