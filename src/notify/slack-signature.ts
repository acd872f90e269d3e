// Verifies a Slack request (https://api.slack.com/authentication/verifying-requests-from-slack):
// `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)>`,
// a timestamp within five minutes of now, compared in constant time; a signature already seen
// inside the window is a replay. Pure apart from the replay memory.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { LRUCache } from 'lru-cache'

export const SLACK_WINDOW_SECONDS = 300
const HEX_SIGNATURE = /^v0=[0-9a-f]{64}$/

export type SlackVerdict = 'ok' | 'missing' | 'stale' | 'bad_signature' | 'replayed'

export function slackSignature(secret: string, timestamp: string, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`, 'utf8').digest('hex')}`
}

export class SlackVerifier {
  // Signatures seen within the window; bounded so a flood of valid requests cannot grow memory.
  #seen = new LRUCache<string, true>({ max: 100_000, ttl: SLACK_WINDOW_SECONDS * 1000 * 2 })

  verify(secret: string, timestamp: string | undefined, signature: string | undefined, rawBody: string, nowMs: number): SlackVerdict {
    if (timestamp === undefined || signature === undefined || secret === '') return 'missing'
    if (!/^\d{1,12}$/.test(timestamp)) return 'stale'
    if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_WINDOW_SECONDS) return 'stale'
    if (!HEX_SIGNATURE.test(signature)) return 'bad_signature'
    const expected = Buffer.from(slackSignature(secret, timestamp, rawBody), 'utf8')
    if (!timingSafeEqual(expected, Buffer.from(signature, 'utf8'))) return 'bad_signature'
    if (this.#seen.has(signature)) return 'replayed'
    this.#seen.set(signature, true)
    return 'ok'
  }
}
