// One outbound POST for the HTTP channels (webhook, Slack): a per-attempt deadline, no redirects
// (a 3xx is a failure, so a receiver cannot bounce us to an internal address), the receiver's
// status and a short reason back, and the SSRF rules applied to IP literals here and to DNS
// answers in the dispatcher's connect lookup.
import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import { guardedLookup, isPrivateAddress } from './ssrf.ts'

export interface SendResult {
  ok: boolean
  statusCode: number | null
  /** Short, safe to store and show (never the receiver's body beyond a few characters). */
  error: string | null
  /** From a 429/503 Retry-After, when the receiver asked for a pause. */
  retryAfterMs: number | null
  /** Retrying cannot help (target refused by the SSRF rules, channel gone). */
  permanent: boolean
}

export function failed(error: string, statusCode: number | null = null, permanent = false, retryAfterMs: number | null = null): SendResult {
  return { ok: false, statusCode, error, retryAfterMs, permanent }
}

export const DELIVERED: SendResult = { ok: true, statusCode: null, error: null, retryAfterMs: null, permanent: false }

const MAX_REASON_CHARS = 200

/** Dispatchers for guarded (public only) and open (allow_private_targets) delivery. */
export function createHttpDispatcher(allowPrivate: boolean): Agent {
  return new Agent({
    connections: 16,
    keepAliveTimeout: 10_000,
    ...(allowPrivate ? {} : { connect: { lookup: guardedLookup } }),
  })
}

function retryAfterMs(value: string | string[] | undefined): number | null {
  const text = Array.isArray(value) ? value[0] : value
  if (text === undefined) return null
  const seconds = Number(text)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const at = Date.parse(text)
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now())
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timed out'
  const code = e.cause?.code ?? e.code
  if (code === 'ERR_PRIVATE_TARGET') return 'target resolves to a private address (refused)'
  return (code ?? e.message ?? 'request failed').slice(0, MAX_REASON_CHARS)
}

export async function postJson(
  dispatcher: Agent,
  allowPrivate: boolean,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<SendResult> {
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return failed('not a URL', null, true)
  }
  const host = target.hostname.startsWith('[') ? target.hostname.slice(1, -1) : target.hostname
  if (!allowPrivate && isIP(host) !== 0 && isPrivateAddress(host)) return failed('target is a private address (refused)', null, true)
  try {
    const res = await request(target, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', 'user-agent': 'ledgix-gateway-notify/1', ...headers },
      body,
      signal: AbortSignal.timeout(timeoutMs),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    })
    const text = await res.body.text()
    if (res.statusCode >= 200 && res.statusCode < 300) return { ...DELIVERED, statusCode: res.statusCode }
    const snippet = text.slice(0, 60).replace(/\s+/g, ' ')
    return failed(`receiver answered ${res.statusCode}${snippet === '' ? '' : `: ${snippet}`}`, res.statusCode, false, retryAfterMs(res.headers['retry-after']))
  } catch (err) {
    const reason = reasonOf(err)
    return failed(reason, null, reason.includes('private address'))
  }
}
