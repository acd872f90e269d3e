// Sends one event through one channel: the single place that knows how each channel type talks to
// its receiver. Used by the outbox worker and by the synchronous test endpoint alike.
import type { Agent } from 'undici'
import { EmailSender } from './email.ts'
import type { NotifyEvent } from './events.ts'
import { failed, postJson } from './http-post.ts'
import type { SendResult } from './http-post.ts'
import type { Channel } from './settings.ts'
import { slackMessage } from './slack-message.ts'
import { webhookHeaders } from './webhook.ts'

export interface Transports {
  dispatcher: Agent
  allowPrivateTargets: boolean
  email: EmailSender | null
}

export interface Attempt {
  deliveryId: string
  /** 1-based. */
  attempt: number
  nowMs: number
  timeoutMs: number
}

export async function deliverTo(t: Transports, channel: Channel, event: NotifyEvent, payloadJson: string, a: Attempt): Promise<SendResult> {
  switch (channel.type) {
    case 'webhook':
      return postJson(
        t.dispatcher,
        t.allowPrivateTargets,
        channel.url,
        payloadJson,
        webhookHeaders(channel.secret, channel.keyId, payloadJson, event, a.deliveryId, a.attempt, a.nowMs),
        a.timeoutMs,
      )
    case 'slack':
      return postJson(t.dispatcher, t.allowPrivateTargets, channel.url, JSON.stringify(slackMessage(event)), {}, a.timeoutMs)
    case 'email':
      if (t.email === null) return failed('no SMTP server configured (vault_server.notifications.smtp)', null, true)
      return t.email.send(channel.recipients, event, a.timeoutMs)
  }
}
