// Builds what Slack sends for a button click (form-encoded block_actions payload, signed per Slack's
// "verifying requests" scheme) with the test's own HMAC code, and posts it to the Vault.
import { createHmac } from 'node:crypto'
import { request } from 'undici'

export const SIGNING_SECRET = 'slack-signing-secret-for-tests-0123'

export interface SlackClick {
  tenant: string
  requestId: string
  approve: boolean
  userId: string
  responseUrl?: string
}

export function clickBody(c: SlackClick): string {
  const payload = {
    type: 'block_actions',
    user: { id: c.userId, username: `user-${c.userId}`, team_id: 'T1' },
    response_url: c.responseUrl,
    actions: [{ action_id: c.approve ? 'ledgix_approve' : 'ledgix_deny', value: JSON.stringify({ t: c.tenant, r: c.requestId }), type: 'button' }],
  }
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString()
}

export function slackSign(secret: string, timestamp: number, body: string): string {
  return 'v0=' + createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')
}

export async function postSlack(
  base: string,
  body: string,
  headers: { timestamp?: number | string; signature?: string } = {},
  secret = SIGNING_SECRET,
): Promise<{ status: number; json: any }> {
  const ts = headers.timestamp ?? Math.floor(Date.now() / 1000)
  const h: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  h['x-slack-request-timestamp'] = String(ts)
  h['x-slack-signature'] = headers.signature ?? slackSign(secret, Number(ts), body)
  const res = await request(`${base}/integrations/slack/actions`, { method: 'POST', headers: h, body })
  const text = await res.body.text()
  return { status: res.statusCode, json: text === '' ? null : JSON.parse(text) }
}
