// The tenant's notification settings document (settings kind 'notification'): the seed's four legacy
// fields (kept exactly), plus `channels` (several webhook/slack/email channels with filters) and
// `slack_app` (interactive approvals). Validation and merge of a PUT, masking for GETs, sealing of
// secrets at rest, and compilation into the channels the worker delivers to.
import { NOTIFY_EVENT_TYPES } from './events.ts'
import type { NotifyEventType } from './events.ts'
import { SecretBox, maskSecret, maskUrl } from './secrets.ts'
import { targetUrlProblem } from './ssrf.ts'

export type ChannelType = 'webhook' | 'slack' | 'email'

export interface ChannelSettings {
  id: string
  type: ChannelType
  enabled: boolean
  /** webhook and slack: target URL (secret: Slack's URL is the credential). */
  url: string
  /** webhook: HMAC-SHA256 secret (secret). */
  secret: string
  /** webhook: names the secret, so receivers can rotate (sent as X-Ledgix-Key-Id). */
  key_id: string
  /** email: comma-separated addresses. */
  recipients: string
  /** Event types delivered; empty = every review event. */
  events: NotifyEventType[]
  /** Tool and agent globs (`*`, `?`); empty = any. Filters are ANDed. */
  tools: string[]
  agents: string[]
}

export interface SlackAppSettings {
  enabled: boolean
  /** Slack app signing secret (secret). */
  signing_secret: string
  /** Slack user ids (U…) or emails allowed to decide reviews from Slack. */
  reviewers: string[]
}

export interface NotificationDocument {
  email_enabled: boolean
  email_recipients: string
  slack_enabled: boolean
  slack_webhook_url: string
  webhook_url: string
  channels: ChannelSettings[]
  slack_app: SlackAppSettings
}

export const DEFAULT_NOTIFICATION_DOCUMENT: NotificationDocument = {
  email_enabled: false,
  email_recipients: '',
  slack_enabled: false,
  slack_webhook_url: '',
  webhook_url: '',
  channels: [],
  slack_app: { enabled: false, signing_secret: '', reviewers: [] },
}

/** Events a channel gets when it names none: the review lifecycle, lockdowns, ledger breaks, reports. */
export const DEFAULT_EVENTS: readonly NotifyEventType[] = [
  'review.created', 'review.expiring', 'review.decided', 'review.expired', 'agent.locked', 'agent.released', 'ledger.verification_failed',
  'report.ready', 'report.failed',
]

const MAX_CHANNELS = 20
const MAX_GLOBS = 50
const CHANNEL_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/
// Deliberately simple: one @, no spaces, a dot in the domain. Delivery is the real test.
const EMAIL = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/
const MIN_WEBHOOK_SECRET = 16

/** Parses stored JSON over the defaults (older rows lack the newer fields). */
export function parseDocument(raw: string | null): NotificationDocument {
  if (raw === null) return structuredClone(DEFAULT_NOTIFICATION_DOCUMENT)
  const v = JSON.parse(raw) as Partial<NotificationDocument>
  return {
    ...structuredClone(DEFAULT_NOTIFICATION_DOCUMENT),
    ...v,
    channels: Array.isArray(v.channels) ? v.channels : [],
    slack_app: { ...DEFAULT_NOTIFICATION_DOCUMENT.slack_app, ...(v.slack_app ?? {}) },
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function recipientsProblem(field: string, value: unknown): string | { value: string } {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : null
  if (list === null) return `${field}: expected a comma-separated string or an array of addresses`
  const cleaned: string[] = []
  for (const item of list) {
    if (typeof item !== 'string') return `${field}: expected strings`
    const s = item.trim()
    if (s !== '') cleaned.push(s)
  }
  for (let i = 0; i < cleaned.length; i++) if (!EMAIL.test(cleaned[i]!)) return `${field}[${i}]: not an email address`
  return { value: cleaned.join(',') }
}

function stringList(field: string, value: unknown, max: number): string[] | string {
  if (value === undefined) return []
  if (!Array.isArray(value) || value.length > max) return `${field}: expected an array of at most ${max} strings`
  for (const s of value) if (typeof s !== 'string' || s === '' || s.length > 200) return `${field}: expected non-empty strings of at most 200 characters`
  return value as string[]
}

/**
 * A secret field of a PUT: absent or equal to the masked form of the stored value keeps the stored
 * value (a client may PUT back what it GOT), anything else replaces it.
 */
function keepOrReplace(sent: unknown, stored: string, mask: (s: string) => string): unknown {
  return sent === undefined || (typeof sent === 'string' && stored !== '' && sent === mask(stored)) ? stored : sent
}

function channelFrom(i: number, raw: unknown, previous: ChannelSettings | undefined, allowPrivate: boolean): ChannelSettings | string {
  const at = `body.channels[${i}]`
  if (!isObject(raw)) return `${at}: expected an object`
  const known = new Set(['id', 'type', 'enabled', 'url', 'secret', 'key_id', 'recipients', 'events', 'tools', 'agents'])
  for (const k of Object.keys(raw)) if (!known.has(k)) return `${at}: unknown field "${k}"`
  if (typeof raw.id !== 'string' || !CHANNEL_ID.test(raw.id)) return `${at}.id: expected 1-64 of [a-z0-9_-], starting with a letter or digit`
  if (raw.type !== 'webhook' && raw.type !== 'slack' && raw.type !== 'email') return `${at}.type: expected webhook, slack or email`
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') return `${at}.enabled: expected a boolean`
  const same = previous !== undefined && previous.type === raw.type ? previous : undefined
  const events = stringList(`${at}.events`, raw.events, NOTIFY_EVENT_TYPES.length)
  if (typeof events === 'string') return events
  for (const e of events) if (!(NOTIFY_EVENT_TYPES as readonly string[]).includes(e)) return `${at}.events: unknown event type "${e}"`
  const tools = stringList(`${at}.tools`, raw.tools, MAX_GLOBS)
  if (typeof tools === 'string') return tools
  const agents = stringList(`${at}.agents`, raw.agents, MAX_GLOBS)
  if (typeof agents === 'string') return agents
  const channel: ChannelSettings = {
    id: raw.id,
    type: raw.type,
    enabled: raw.enabled ?? true,
    url: '',
    secret: '',
    key_id: '',
    recipients: '',
    events: events as NotifyEventType[],
    tools,
    agents,
  }
  if (raw.type === 'email') {
    const r = recipientsProblem(`${at}.recipients`, raw.recipients)
    if (typeof r === 'string') return r
    if (r.value === '') return `${at}.recipients: at least one address is required`
    channel.recipients = r.value
    return channel
  }
  const url = keepOrReplace(raw.url, same?.url ?? '', maskUrl)
  if (typeof url !== 'string' || url === '') return `${at}.url: required`
  const urlProblem = targetUrlProblem(`${at}.url`, url, allowPrivate)
  if (urlProblem !== null) return urlProblem
  channel.url = url
  if (raw.type === 'webhook') {
    const secret = keepOrReplace(raw.secret, same?.secret ?? '', maskSecret)
    if (typeof secret !== 'string' || secret.length < MIN_WEBHOOK_SECRET || secret.length > 512) {
      return `${at}.secret: required, ${MIN_WEBHOOK_SECRET} to 512 characters (the HMAC key receivers verify X-Ledgix-Signature with)`
    }
    channel.secret = secret
    const keyId = raw.key_id ?? 'k1'
    if (typeof keyId !== 'string' || !CHANNEL_ID.test(keyId)) return `${at}.key_id: expected 1-64 of [a-z0-9_-]`
    channel.key_id = keyId
  }
  return channel
}

/** Merges a PUT body over the current (plaintext) document; returns a field-named problem on bad input. */
export function mergeDocument(current: NotificationDocument, body: Record<string, unknown>, allowPrivate: boolean): NotificationDocument | string {
  const next: NotificationDocument = structuredClone(current)
  for (const flag of ['email_enabled', 'slack_enabled'] as const) {
    const v = body[flag]
    if (v === undefined) continue
    if (typeof v !== 'boolean') return `body.${flag}: expected a boolean`
    next[flag] = v
  }
  if (body.email_recipients !== undefined) {
    const r = recipientsProblem('body.email_recipients', body.email_recipients)
    if (typeof r === 'string') return r
    next.email_recipients = r.value
  }
  for (const field of ['slack_webhook_url', 'webhook_url'] as const) {
    const value = keepOrReplace(body[field], current[field], maskUrl)
    if (value === undefined || value === current[field]) continue
    if (typeof value !== 'string') return `body.${field}: expected a string`
    if (value !== '') {
      const problem = targetUrlProblem(`body.${field}`, value, allowPrivate)
      if (problem !== null) return problem
    }
    next[field] = value
  }
  if (next.email_enabled && next.email_recipients === '') return 'body.email_recipients: required when email_enabled is true'
  if (next.slack_enabled && next.slack_webhook_url === '') return 'body.slack_webhook_url: required when slack_enabled is true'
  if (body.channels !== undefined) {
    if (!Array.isArray(body.channels) || body.channels.length > MAX_CHANNELS) return `body.channels: expected an array of at most ${MAX_CHANNELS} channels`
    const byId = new Map(current.channels.map((c) => [c.id, c]))
    const seen = new Set<string>(['slack', 'email'])
    const channels: ChannelSettings[] = []
    for (let i = 0; i < body.channels.length; i++) {
      const raw = body.channels[i] as unknown
      const c = channelFrom(i, raw, isObject(raw) && typeof raw.id === 'string' ? byId.get(raw.id) : undefined, allowPrivate)
      if (typeof c === 'string') return c
      if (seen.has(c.id)) return `body.channels[${i}].id: "${c.id}" is used twice (or reserved for the legacy slack/email settings)`
      seen.add(c.id)
      channels.push(c)
    }
    next.channels = channels
  }
  if (body.slack_app !== undefined) {
    const app = body.slack_app
    if (!isObject(app)) return 'body.slack_app: expected an object'
    if (app.enabled !== undefined) {
      if (typeof app.enabled !== 'boolean') return 'body.slack_app.enabled: expected a boolean'
      next.slack_app.enabled = app.enabled
    }
    const secret = keepOrReplace(app.signing_secret, current.slack_app.signing_secret, maskSecret)
    if (typeof secret !== 'string' || secret.length > 512) return 'body.slack_app.signing_secret: expected a string'
    next.slack_app.signing_secret = secret
    if (app.reviewers !== undefined) {
      const reviewers = stringList('body.slack_app.reviewers', app.reviewers, 500)
      if (typeof reviewers === 'string') return reviewers
      next.slack_app.reviewers = reviewers
    }
    if (next.slack_app.enabled && next.slack_app.signing_secret === '') return 'body.slack_app.signing_secret: required when slack_app.enabled is true'
  }
  return next
}

function mapSecrets(doc: NotificationDocument, url: (s: string) => string, secret: (s: string) => string): NotificationDocument {
  return {
    ...doc,
    slack_webhook_url: url(doc.slack_webhook_url),
    webhook_url: url(doc.webhook_url),
    channels: doc.channels.map((c) => ({ ...c, url: url(c.url), secret: secret(c.secret) })),
    slack_app: { ...doc.slack_app, signing_secret: secret(doc.slack_app.signing_secret) },
  }
}

/** What a GET (and a PUT's answer) shows: every secret masked. */
export function maskedDocument(doc: NotificationDocument): NotificationDocument {
  return mapSecrets(doc, maskUrl, maskSecret)
}

export function sealDocument(doc: NotificationDocument, box: SecretBox): NotificationDocument {
  const seal = (s: string): string => box.seal(s)
  return mapSecrets(doc, seal, seal)
}

export function openDocument(doc: NotificationDocument, box: SecretBox): NotificationDocument {
  const open = (s: string): string => box.open(s)
  return mapSecrets(doc, open, open)
}

/** A channel ready for delivery: plaintext secrets, filters as lists. */
export interface Channel {
  id: string
  type: ChannelType
  url: string
  secret: string
  keyId: string
  recipients: string[]
  events: readonly NotifyEventType[]
  tools: readonly string[]
  agents: readonly string[]
}

/** Enabled channels of a plaintext document, the legacy Slack and email settings first (ids `slack`, `email`). */
export function channelsOf(doc: NotificationDocument): Channel[] {
  const out: Channel[] = []
  const plain = { secret: '', keyId: '', recipients: [] as string[], events: DEFAULT_EVENTS, tools: [] as string[], agents: [] as string[] }
  if (doc.slack_enabled && doc.slack_webhook_url !== '') out.push({ ...plain, id: 'slack', type: 'slack', url: doc.slack_webhook_url })
  if (doc.email_enabled && doc.email_recipients !== '') out.push({ ...plain, id: 'email', type: 'email', url: '', recipients: doc.email_recipients.split(',') })
  for (const c of doc.channels) {
    if (!c.enabled) continue
    out.push({
      id: c.id,
      type: c.type,
      url: c.url,
      secret: c.secret,
      keyId: c.key_id,
      recipients: c.recipients === '' ? [] : c.recipients.split(','),
      events: c.events.length === 0 ? DEFAULT_EVENTS : c.events,
      tools: c.tools,
      agents: c.agents,
    })
  }
  return out
}
