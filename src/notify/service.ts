// The notification subsystem as the Vault composes it: the notifier (events → outbox rows), the
// transports (guarded HTTP dispatcher, SMTP), the delivery worker, and a synchronous test send.
import { readFileSync } from 'node:fs'
import type { Registry } from 'prom-client'
import type { VaultNotifyConfig } from '../config/types-vault.ts'
import type { Clock, TenantId } from '../core/index.ts'
import type { OutboxRecord, Store } from '../store/index.ts'
import { deliverTo } from './deliver.ts'
import type { Transports } from './deliver.ts'
import { EmailSender } from './email.ts'
import { testEvent } from './events.ts'
import { createHttpDispatcher, failed, postJson } from './http-post.ts'
import { SlackVerifier } from './slack-signature.ts'
import { targetUrlProblem } from './ssrf.ts'
import { NotifyMetrics } from './metrics.ts'
import type { SendResult } from './http-post.ts'
import { Notifier } from './notifier.ts'
import { DeliveryWorker } from './worker.ts'

/** Defaults with their reasons; the YAML loader fills the same values. */
export const DEFAULT_NOTIFY_CONFIG: VaultNotifyConfig = {
  publicUrl: null,
  allowPrivateTargets: false,
  // 8 attempts with a 5 s base and a 10 min cap span roughly half an hour of receiver outage.
  maxAttempts: 8,
  attemptTimeoutMs: 10_000,
  backoffBaseMs: 5_000,
  backoffMaxMs: 600_000,
  // Half a second: a reviewer hears of a review within a second, and an idle poll is one index probe.
  pollIntervalMs: 500,
  concurrency: 8,
  // Issue 17: 15 minutes before review_expiry.
  expiringLeadMs: 15 * 60_000,
  smtp: null,
}

export interface ChannelTestResult {
  channel_id: string
  type: string
  status: 'delivered' | 'failed'
  receiver_status: number | null
  reason: string | null
}

export interface NotifyServiceOptions {
  store: Store
  clock: Clock
  config: VaultNotifyConfig
  encryptionKey: Uint8Array | null
  random?: () => number
  onResult?: (row: OutboxRecord, result: SendResult, durationMs: number, settled: 'delivered' | 'retry' | 'dead') => void
  onError?: (err: unknown) => void
}

export class NotifyService {
  readonly notifier: Notifier
  readonly worker: DeliveryWorker
  readonly config: VaultNotifyConfig
  readonly slackVerifier = new SlackVerifier()
  #transports: Transports
  #clock: Clock
  #store: Store
  #metrics: NotifyMetrics | null = null

  constructor(o: NotifyServiceOptions) {
    this.config = o.config
    this.#clock = o.clock
    this.#store = o.store
    this.notifier = new Notifier({ store: o.store, encryptionKey: o.encryptionKey, publicUrl: o.config.publicUrl })
    const smtp = o.config.smtp
    this.#transports = {
      dispatcher: createHttpDispatcher(o.config.allowPrivateTargets),
      allowPrivateTargets: o.config.allowPrivateTargets,
      email:
        smtp === null
          ? null
          : new EmailSender({ ...smtp, caPem: smtp.caFile === null ? null : readFileSync(smtp.caFile, 'utf8') }),
    }
    this.worker = new DeliveryWorker({
      store: o.store,
      clock: o.clock,
      notifier: this.notifier,
      transports: this.#transports,
      maxAttempts: o.config.maxAttempts,
      attemptTimeoutMs: o.config.attemptTimeoutMs,
      backoffBaseMs: o.config.backoffBaseMs,
      backoffMaxMs: o.config.backoffMaxMs,
      pollIntervalMs: o.config.pollIntervalMs,
      concurrency: o.config.concurrency,
      expiringLeadMs: o.config.expiringLeadMs,
      ...(o.random === undefined ? {} : { random: o.random }),
      onResult: (row, result, ms, settled) => {
        this.#metrics?.record(row, result, ms, settled)
        o.onResult?.(row, result, ms, settled)
      },
      ...(o.onError === undefined ? {} : { onError: o.onError }),
    })
  }

  /** Sends a test event through every enabled channel now (not through the outbox), one answer each. */
  async sendTest(tenantId: TenantId): Promise<ChannelTestResult[]> {
    const { channels } = await this.notifier.settingsOf(tenantId)
    const nowMs = this.#clock.now()
    const event = testEvent(tenantId, nowMs, this.config.publicUrl)
    const payload = JSON.stringify(event)
    return Promise.all(
      channels.map(async (c) => {
        const r = await deliverTo(this.#transports, c, event, payload, { deliveryId: event.id, attempt: 1, nowMs, timeoutMs: this.config.attemptTimeoutMs })
        return { channel_id: c.id, type: c.type, status: r.ok ? 'delivered' : 'failed', receiver_status: r.statusCode, reason: r.error } as ChannelTestResult
      }),
    )
  }

  /** Posts a reply to a Slack action's response_url (message update or a note), under the SSRF rules. */
  async replyToSlack(responseUrl: string, message: unknown): Promise<SendResult> {
    if (targetUrlProblem('response_url', responseUrl, this.config.allowPrivateTargets) !== null) return failed('response_url refused', null, true)
    return postJson(this.#transports.dispatcher, this.config.allowPrivateTargets, responseUrl, JSON.stringify(message), {}, this.config.attemptTimeoutMs)
  }

  /** Registers the delivery metrics in the process's /metrics registry (once). */
  registerMetrics(registry: Registry): void {
    this.#metrics ??= new NotifyMetrics(registry, this.#store, this.#clock)
  }

  start(): void {
    this.worker.start()
  }

  async stop(): Promise<void> {
    await this.worker.stop()
    this.#transports.email?.close()
    await this.#transports.dispatcher.close()
  }
}
