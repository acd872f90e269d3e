// Bounds the request bodies the Vault holds at once (issue 16, availability): fastify and the fast
// path buffer a body whole before parsing it, so N slow bodies of max_body each were N × 1 MiB of
// heap — the Vault's 4,096 connections 4 GiB — from one tenant's key (or, on the login and Slack
// routes, from anyone). A body is admitted only when its bytes fit under the Vault-wide bound and its
// owner's share (the tenant, the admin key, or the client address when unauthenticated), so one
// caller cannot take what the others need; otherwise 503 `overloaded` with Retry-After before a byte
// of it is read. The bytes are given back when the response closes.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Counter, Gauge, type Registry } from 'prom-client'
import { LedgixError } from '../core/index.ts'

/** What one owner may hold: a quarter of the whole, so one tenant leaves room for others. */
export const DEFAULT_VAULT_INFLIGHT_BODY_BYTES = 64 * 1024 * 1024
export const DEFAULT_VAULT_INFLIGHT_BODY_PER_OWNER_BYTES = 16 * 1024 * 1024

export class VaultBodyBudget {
  readonly maxTotalBytes: number
  readonly maxOwnerBytes: number
  /** max_body: what a chunked body is reserved at (fastify refuses it beyond), and a declared length above it is fastify's 413. */
  readonly maxBodyBytes: number
  #totalBytes = 0
  readonly #owners = new Map<string, number>()
  /** Bodies refused (503 overloaded) because a bound would have been crossed. */
  refusals = 0

  constructor(maxTotalBytes: number, maxOwnerBytes: number, maxBodyBytes: number) {
    this.maxTotalBytes = maxTotalBytes
    this.maxOwnerBytes = maxOwnerBytes
    this.maxBodyBytes = maxBodyBytes
  }

  /** Reserve `bytes` for `owner`: false (nothing reserved) when either bound would be crossed. */
  tryReserve(owner: string, bytes: number): boolean {
    const held = this.#owners.get(owner) ?? 0
    if (held + bytes > this.maxOwnerBytes || this.#totalBytes + bytes > this.maxTotalBytes) {
      this.refusals++
      return false
    }
    this.#owners.set(owner, held + bytes)
    this.#totalBytes += bytes
    return true
  }

  release(owner: string, bytes: number): void {
    this.#totalBytes -= bytes
    const left = (this.#owners.get(owner) ?? 0) - bytes
    if (left <= 0) this.#owners.delete(owner)
    else this.#owners.set(owner, left)
  }

  get totalBytes(): number {
    return this.#totalBytes
  }

  ownerBytes(owner: string): number {
    return this.#owners.get(owner) ?? 0
  }

  /** `ledgix_vault_inflight_body_bytes` and `ledgix_vault_body_refusals_total` in the /metrics registry. */
  registerMetrics(registry: Registry): void {
    const budget = this
    new Gauge({
      name: 'ledgix_vault_inflight_body_bytes',
      help: 'Request-body bytes the Vault has admitted and not yet released (bounded by vault_server.max_inflight_body).',
      registers: [registry],
      collect() {
        this.set(budget.totalBytes)
      },
    })
    new Counter({
      name: 'ledgix_vault_body_refusals_total',
      help: 'Request bodies refused with 503 overloaded before being read: the caller\'s or the Vault-wide in-flight bound was full.',
      registers: [registry],
      collect() {
        this.reset()
        this.inc(budget.refusals)
      },
    })
  }
}

/** The detail of the 503: which bound, and that nothing was read. */
export function bodyBudgetDetail(budget: VaultBodyBudget, owner: string, bytes: number): string {
  const mine = budget.ownerBytes(owner) + bytes > budget.maxOwnerBytes
  return mine
    ? `this caller already has ${budget.ownerBytes(owner)} bytes of request bodies in flight (the limit is ${budget.maxOwnerBytes}); retry when they finish`
    : `the Vault holds its maximum of ${budget.maxTotalBytes} bytes of request bodies in flight; retry shortly`
}

/** Who a body counts against: the tenant, else the client address (login, Slack, admin routes). */
export function bodyOwner(tenantId: string | null, address: string): string {
  return tenantId === null ? `addr:${address}` : `tenant:${tenantId}`
}

interface Reservation {
  budget: VaultBodyBudget
  owner: string
  bytes: number
}
const kReservation = Symbol('ledgix.bodyReservation')
type ReservingResponse = ServerResponse & { [kReservation]?: Reservation | undefined }

/**
 * Reserve the request's body (its declared Content-Length, or max_body when chunked) before it is
 * read; null when admitted or when there is nothing to reserve (no body; a declared length over
 * max_body, which fastify refuses with 413 unread), else the 503 to answer. Released on 'close'.
 */
export function admitBody(budget: VaultBodyBudget, req: IncomingMessage, res: ServerResponse, tenantId: string | null, address: string): LedgixError | null {
  const declared = req.headers['content-length']
  let bytes: number
  if (declared !== undefined) {
    bytes = Number(declared)
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > budget.maxBodyBytes) return null
  } else if (req.headers['transfer-encoding'] !== undefined) bytes = budget.maxBodyBytes
  else return null
  return reserveFor(budget, res, bodyOwner(tenantId, address), bytes)
}

/** Reserve `bytes` for `owner` until `res` closes; the 503 when either bound would be crossed. */
export function reserveFor(budget: VaultBodyBudget, res: ServerResponse, owner: string, bytes: number): LedgixError | null {
  if (!budget.tryReserve(owner, bytes)) return new LedgixError('overloaded', bodyBudgetDetail(budget, owner, bytes))
  ;(res as ReservingResponse)[kReservation] = { budget, owner, bytes }
  res.once('close', releaseReservation)
  return null
}

function releaseReservation(this: ReservingResponse): void {
  const r = this[kReservation]
  if (r === undefined) return
  this[kReservation] = undefined
  r.budget.release(r.owner, r.bytes)
}
