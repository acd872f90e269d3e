// The paired-mode VaultPort: burns at a remote Vault over HTTP (`POST /consume-token`, spec §9) and
// fetches its JWKS. burn() never throws and never reports success unless the Vault said so:
// anything unexpected is vault_unavailable, and the gateway then refuses to forward.
import { Agent, Pool, request } from 'undici'
import type { Dispatcher } from 'undici'
import { burnRefusalFor } from '../core/index.ts'
import type { BurnRequest, BurnResult, JwksFetchResult, VaultPort } from '../core/index.ts'

export interface RemoteVaultOptions {
  /** Base URL of the Vault, optionally with a path prefix (spec §1). */
  url: string
  apiKey: string | null
  timeoutMs: number
  connections: number
  /** null → {url}/.well-known/jwks.json */
  jwksUrl: string | null
  jwksTimeoutMs: number
}

/** A JWKS is a handful of keys; anything near this is not a key set. */
const MAX_JWKS_BYTES = 1024 * 1024
/** /consume-token answers are tiny JSON objects. */
const MAX_BURN_RESPONSE_BYTES = 64 * 1024

const UNAVAILABLE_STATUS = 'Vault answered an unexpected status; the token was not forwarded.'
const UNAVAILABLE_TRANSPORT = 'Vault unreachable or timed out; the token was not forwarded.'
const UNAVAILABLE_BODY = 'Vault answered 200 without valid:true; the token was not forwarded.'
const REPLAYED = burnRefusalFor('token_replayed')!
const OK: BurnResult = { ok: true }

export class RemoteVault implements VaultPort {
  readonly #pool: Pool
  readonly #jwksAgent: Agent
  readonly #consumePath: string
  readonly #headers: Record<string, string>
  readonly #timeoutMs: number
  readonly #jwksUrl: string
  readonly #jwksTimeoutMs: number

  constructor(options: RemoteVaultOptions) {
    const base = new URL(options.url)
    const basePath = base.pathname.replace(/\/+$/, '')
    this.#consumePath = `${basePath}/consume-token`
    this.#timeoutMs = options.timeoutMs
    this.#pool = new Pool(base.origin, {
      connections: options.connections,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    })
    this.#headers = { 'content-type': 'application/json', accept: 'application/json' }
    if (options.apiKey !== null) this.#headers['x-vault-api-key'] = options.apiKey
    this.#jwksUrl = options.jwksUrl ?? `${base.origin}${basePath}/.well-known/jwks.json`
    this.#jwksTimeoutMs = options.jwksTimeoutMs
    // A separate dispatcher: jwks.url may point at another origin, and a slow key fetch must not
    // queue behind burns.
    this.#jwksAgent = new Agent({
      connections: 2,
      connect: { timeout: options.jwksTimeoutMs },
      headersTimeout: options.jwksTimeoutMs,
      bodyTimeout: options.jwksTimeoutMs,
    })
  }

  get jwksUrl(): string {
    return this.#jwksUrl
  }

  burn(req: BurnRequest): Promise<BurnResult> {
    // Pool.dispatch with one small handler per burn: no Readable body, no async iterator, no
    // per-burn closure (request() cost ~3 allocating layers per call in a paired profile).
    const promise = new Promise<BurnResult>(captureResolve)
    const call = new BurnCall(takeResolve())
    this.#pool.dispatch(
      {
        method: 'POST',
        path: this.#consumePath,
        headers: this.#headers,
        body: JSON.stringify({ token: req.token }),
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      },
      call,
    )
    return promise
  }

  async fetchJwks(signal?: AbortSignal): Promise<JwksFetchResult> {
    const res = await request(this.#jwksUrl, {
      method: 'GET',
      dispatcher: this.#jwksAgent,
      headers: { accept: 'application/json' },
      signal: signal ?? AbortSignal.timeout(this.#jwksTimeoutMs),
    })
    const text = await readLimited(res.body, MAX_JWKS_BYTES)
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw new Error(`JWKS fetch from ${this.#jwksUrl} failed: HTTP ${res.statusCode}`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch {
      throw new Error(`JWKS fetch from ${this.#jwksUrl} returned invalid JSON`)
    }
    if (!isRecord(parsed) || !Array.isArray(parsed['keys'])) {
      throw new Error(`JWKS fetch from ${this.#jwksUrl} returned no "keys" array`)
    }
    return { jwks: { keys: parsed['keys'] as JwksFetchResult['jwks']['keys'] }, maxAgeSeconds: parseMaxAge(res.headers['cache-control']) }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.#pool.close(), this.#jwksAgent.close()])
  }
}

let captured: ((result: BurnResult) => void) | null = null

/** Promise executor without a closure: hands `resolve` to the line that created the promise. */
function captureResolve(resolve: (result: BurnResult) => void): void {
  captured = resolve
}

function takeResolve(): (result: BurnResult) => void {
  const resolve = captured!
  captured = null
  return resolve
}

const TRANSPORT_FAILURE: BurnResult = { ok: false, code: 'vault_unavailable', detail: UNAVAILABLE_TRANSPORT }
const TOO_LARGE = new Error(`Vault answer larger than ${MAX_BURN_RESPONSE_BYTES} bytes`)

/** One /consume-token exchange: collects the small body, settles exactly once, never rejects. */
class BurnCall implements Dispatcher.DispatchHandler {
  readonly #resolve: (result: BurnResult) => void
  #status = 0
  #chunks: Buffer[] = []
  #length = 0
  #settled = false

  constructor(resolve: (result: BurnResult) => void) {
    this.#resolve = resolve
  }

  // undici 7 recognises the handler API (onResponseStart/Data/End/Error) by this method.
  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#length += chunk.length
    if (this.#length > MAX_BURN_RESPONSE_BYTES) {
      controller.abort(TOO_LARGE)
      return
    }
    this.#chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.#settled) return
    this.#settled = true
    const chunks = this.#chunks
    const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.#length).toString('utf8')
    this.#resolve(interpretBurn(this.#status, text))
  }

  onResponseError(_controller: Dispatcher.DispatchController, _err: Error): void {
    if (this.#settled) return
    this.#settled = true
    this.#resolve(TRANSPORT_FAILURE)
  }
}

/** Map a /consume-token answer to a BurnResult (spec §9; 403 agent_locked and the 401 token codes are ours). */
export function interpretBurn(status: number, text: string): BurnResult {
  if (status === 200) {
    const body = parseJson(text)
    return isRecord(body) && body['valid'] === true ? OK : { ok: false, code: 'vault_unavailable', detail: UNAVAILABLE_BODY }
  }
  if (status === 409) return REPLAYED
  if (status === 403 || status === 401) {
    // Only refusals the Vault makes about this token; any other 401/403 (our API key) is ours to fix.
    const refusal = burnRefusalFor(errorCodeOf(parseJson(text)))
    if (refusal !== null && !refusal.ok && (status === 403) === (refusal.code === 'agent_locked')) return refusal
  }
  return { ok: false, code: 'vault_unavailable', detail: UNAVAILABLE_STATUS }
}

/** Vault errors come as problem+json (`code`) or the Ledgix shape (`error`). */
function errorCodeOf(body: unknown): string | null {
  if (!isRecord(body)) return null
  if (typeof body['code'] === 'string') return body['code']
  if (typeof body['error'] === 'string') return body['error']
  return null
}

/** `Cache-Control: max-age=N` in seconds, or null. */
export function parseMaxAge(value: string | string[] | undefined): number | null {
  if (value === undefined) return null
  const text = Array.isArray(value) ? value.join(',') : value
  const match = /(?:^|[,\s])max-age\s*=\s*"?(\d+)"?/i.exec(text)
  if (match === null) return null
  const seconds = Number(match[1])
  return Number.isSafeInteger(seconds) ? seconds : null
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return null
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of body) {
    length += chunk.length
    if (length > maxBytes) {
      body.destroy()
      throw new Error(`response larger than ${maxBytes} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, length).toString('utf8')
}
