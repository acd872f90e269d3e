// Slack app mode, the parts that know nothing of HTTP routes: reading a block_actions payload
// (our Approve/Deny buttons carry {t: tenant, r: request id}), deciding whether the clicking Slack
// user may decide for the tenant, and the replies (message update or a note to the user).
import type { TenantId } from '../core/index.ts'
import { SLACK_APPROVE_ACTION, SLACK_DENY_ACTION } from './slack-message.ts'
import type { SlackAppSettings } from './settings.ts'

export interface SlackAction {
  tenantId: TenantId
  requestId: string
  approved: boolean
  userId: string
  userName: string
  /** Email when Slack includes one in the payload (it does not by default). */
  userEmail: string | null
  responseUrl: string | null
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** The first Approve/Deny action of a form-encoded `payload=…` body; null when it is anything else. */
export function parseSlackAction(rawBody: string): SlackAction | null {
  const payloadText = new URLSearchParams(rawBody).get('payload')
  if (payloadText === null || payloadText.length > 1_000_000) return null
  let payload: unknown
  try {
    payload = JSON.parse(payloadText)
  } catch {
    return null
  }
  if (!isObject(payload) || payload.type !== 'block_actions' || !Array.isArray(payload.actions) || !isObject(payload.user)) return null
  const action = payload.actions[0] as unknown
  if (!isObject(action) || (action.action_id !== SLACK_APPROVE_ACTION && action.action_id !== SLACK_DENY_ACTION) || typeof action.value !== 'string') return null
  let value: unknown
  try {
    value = JSON.parse(action.value)
  } catch {
    return null
  }
  if (!isObject(value) || typeof value.t !== 'string' || typeof value.r !== 'string' || value.t === '' || value.r === '') return null
  const user = payload.user
  if (typeof user.id !== 'string' || user.id === '') return null
  return {
    tenantId: value.t as TenantId,
    requestId: value.r,
    approved: action.action_id === SLACK_APPROVE_ACTION,
    userId: user.id,
    userName: typeof user.username === 'string' ? user.username : typeof user.name === 'string' ? user.name : user.id,
    userEmail: typeof user.email === 'string' ? user.email : null,
    responseUrl: typeof payload.response_url === 'string' ? payload.response_url : null,
  }
}

/** The allow-list holds Slack user ids (U…) and/or emails; an email matches only when Slack sent one. */
export function isSlackReviewer(app: SlackAppSettings, action: SlackAction): boolean {
  for (const entry of app.reviewers) {
    if (entry === action.userId) return true
    if (action.userEmail !== null && entry.includes('@') && entry.toLowerCase() === action.userEmail.toLowerCase()) return true
  }
  return false
}

/** How the decision is recorded: channel prefix `slack:` (events report channel "slack"), the user id, and the email when known. */
export function slackReviewerName(action: SlackAction): string {
  return action.userEmail === null ? `slack:${action.userId}` : `slack:${action.userId} <${action.userEmail}>`
}

export function slackNote(text: string): { response_type: 'ephemeral'; replace_original: false; text: string } {
  return { response_type: 'ephemeral', replace_original: false, text }
}
