// Bounds what bind_args routes may buffer (issue 16, availability): bytes of bodies held at once per
// route and per worker, and one body in flight per token. Before this, one token held 150 incomplete
// 1 MiB bodies (+154 MiB): the token burns only after its body has arrived, so nothing stopped a
// client from opening body after body with it. Counters only; the reader in body.ts asks, and
// Gateway.requestEnded gives back.

/**
 * Bytes are reserved per request (a declared Content-Length in full up front, a chunked body as it
 * arrives) and released when the response ends, since the buffer lives until it has gone upstream.
 * Per-route counters are keyed by route name so a reload, which compiles new route objects, keeps
 * counting the bodies the old ones admitted.
 */
export class BodyBudget {
  #maxTotalBytes: number
  #totalBytes = 0
  readonly #routeBytes = new Map<string, number>()
  readonly #jtis = new Set<string>()

  constructor(maxTotalBytes: number) {
    this.#maxTotalBytes = maxTotalBytes
  }

  /** A reload may change gateway.max_inflight_body; bodies already admitted stay admitted. */
  setMaxTotalBytes(maxTotalBytes: number): void {
    this.#maxTotalBytes = maxTotalBytes
  }

  /** Reserve `bytes` more for a body on `route`; false (nothing reserved) when either bound would be crossed. */
  tryReserve(route: string, maxRouteBytes: number, bytes: number): boolean {
    const routeBytes = this.#routeBytes.get(route) ?? 0
    if (routeBytes + bytes > maxRouteBytes || this.#totalBytes + bytes > this.#maxTotalBytes) return false
    this.#routeBytes.set(route, routeBytes + bytes)
    this.#totalBytes += bytes
    return true
  }

  release(route: string, bytes: number): void {
    if (bytes <= 0) return
    this.#totalBytes -= bytes
    const left = (this.#routeBytes.get(route) ?? 0) - bytes
    if (left <= 0) this.#routeBytes.delete(route)
    else this.#routeBytes.set(route, left)
  }

  /** Claim the token for one body: false when another request with this jti is still in flight. */
  claimJti(jti: string): boolean {
    if (this.#jtis.has(jti)) return false
    this.#jtis.add(jti)
    return true
  }

  releaseJti(jti: string): void {
    this.#jtis.delete(jti)
  }

  get totalBytes(): number {
    return this.#totalBytes
  }

  routeBytes(route: string): number {
    return this.#routeBytes.get(route) ?? 0
  }

  get jtisInFlight(): number {
    return this.#jtis.size
  }
}
