// The generic signed webhook (spec §8): the exact body bytes, `X-Ledgix-Signature: sha256=<hex>`
// = HMAC-SHA256(UTF-8 secret, raw body) as the Ledgix SDK's verifyWebhook checks it, plus headers
// for receivers that want more: the event id (dedupe key), a send timestamp with its own signature
// over `<timestamp>.<body>` (a replay window), and the key id (secret rotation).
import { createHmac } from 'node:crypto'

export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`
}

export function webhookHeaders(
  secret: string,
  keyId: string,
  body: string,
  event: { id: string; type: string },
  deliveryId: string,
  attempt: number,
  nowMs: number,
): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000))
  return {
    'x-ledgix-signature': signBody(secret, body),
    'x-ledgix-timestamp': timestamp,
    'x-ledgix-timestamp-signature': signBody(secret, `${timestamp}.${body}`),
    'x-ledgix-key-id': keyId,
    'x-ledgix-event-id': event.id,
    'x-ledgix-event-type': event.type,
    'x-ledgix-delivery-id': deliveryId,
    'x-ledgix-attempt': String(attempt),
  }
}
