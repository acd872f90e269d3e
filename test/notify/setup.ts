// Vault harness for notification tests: every clearance goes to review (default_effect review),
// loopback targets allowed, a fast worker (short polls, small backoff, few attempts).
import type { VaultNotifyConfig } from '../../src/config/types-vault.ts'
import { DEFAULT_NOTIFY_CONFIG } from '../../src/notify/index.ts'
import { call, startHarness } from '../vault/helpers.ts'
import type { Harness, HarnessOptions } from '../vault/helpers.ts'

export const WEBHOOK_SECRET = 'whsec_test_0123456789abcdef'

export function fastNotify(overrides: Partial<VaultNotifyConfig> = {}): VaultNotifyConfig {
  return {
    ...DEFAULT_NOTIFY_CONFIG,
    allowPrivateTargets: true,
    maxAttempts: 3,
    attemptTimeoutMs: 2_000,
    backoffBaseMs: 100,
    backoffMaxMs: 400,
    pollIntervalMs: 20,
    expiringLeadMs: null,
    ...overrides,
  }
}

export async function startNotifyHarness(
  t: { after(fn: () => unknown): void },
  notify: Partial<VaultNotifyConfig> = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  return startHarness(t, { ...options, config: { defaultEffect: 'review', notifications: fastNotify(notify), ...options.config } })
}

export async function putChannels(h: Harness, channels: unknown[], extra: Record<string, unknown> = {}): Promise<any> {
  const res = await call(h.base, 'PUT', '/notification-settings', { key: h.keys.admin, body: { channels, ...extra } })
  if (res.status !== 200) throw new Error(`PUT /notification-settings: ${res.status} ${res.text}`)
  return res.body
}

export function webhookChannel(url: string, more: Record<string, unknown> = {}): Record<string, unknown> {
  return { id: 'hook', type: 'webhook', url, secret: WEBHOOK_SECRET, key_id: 'k1', ...more }
}

export async function requestReview(h: Harness, toolArgs: Record<string, unknown> = { amount: 2500, currency: 'USD' }, tool = 'create_stripe_payment', agent = 'billing-bot'): Promise<string> {
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: { tool_name: tool, tool_args: toolArgs, agent_id: agent } })
  if (res.body?.status !== 'pending_review') throw new Error(`expected pending_review, got ${res.status} ${res.text}`)
  return res.body.request_id as string
}

/** Polls the deliveries list until `n` rows have `status` (the settle commits just after the receiver answers). */
export async function waitForDeliveries(h: Harness, status: string, n: number, timeoutMs = 10_000): Promise<any[]> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const res = await call(h.base, 'GET', `/notifications/deliveries?status=${status}`, { key: h.keys.admin })
    if (res.body.deliveries.length >= n) return res.body.deliveries
    if (Date.now() > until) throw new Error(`waited for ${n} ${status} deliveries, have ${res.body.deliveries.length}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
