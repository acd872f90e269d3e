// Renders an event as a Slack Block Kit message: headline, tool and agent, amount-like arguments as
// highlighted fields, the full canonical arguments in code blocks, reason, expiry, and (for a review
// still pending) Approve/Deny buttons that the Slack app mode answers at /integrations/slack/actions.
import type { NotifyEvent, ReviewPart } from './events.ts'

type Block = Record<string, unknown>

// Slack limits: 3000 characters per section text, 50 blocks per message, 10 fields per section.
const SECTION_CHARS = 2900
const MAX_ARG_BLOCKS = 20
const AMOUNT_KEY = /amount|total|price|cost|fee|sum|value|qty|quantity|currency|balance|limit/i

export const SLACK_APPROVE_ACTION = 'ledgix_approve'
export const SLACK_DENY_ACTION = 'ledgix_deny'

/** Slack mrkdwn escaping (https://api.slack.com/reference/surfaces/formatting#escaping). */
function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function headline(e: NotifyEvent): string {
  const r = e.review
  switch (e.type) {
    case 'review.created':
      return `Review needed: ${r?.tool_name ?? ''}`
    case 'review.expiring':
      return `Review expiring soon: ${r?.tool_name ?? ''}`
    case 'review.decided':
      return `Review ${r?.decision?.approved === true ? 'approved' : 'denied'}: ${r?.tool_name ?? ''}`
    case 'review.expired':
      return `Review expired: ${r?.tool_name ?? ''}`
    case 'agent.locked':
      return `Agent locked down: ${e.agent?.agent_id ?? ''}`
    case 'agent.released':
      return `Agent lockdown released: ${e.agent?.agent_id ?? ''}`
    case 'ledger.verification_failed':
      return 'Ledger verification failed'
    case 'report.ready':
      return `Report ready: ${e.report?.title ?? ''}`
    case 'report.failed':
      return `Report failed: ${e.report?.title ?? ''}`
    case 'notification.test':
      return 'Ledgix test notification'
  }
}

/** One-line summary (also the message's `text` fallback and the email subject). */
export function summaryOf(e: NotifyEvent): string {
  const r = e.review
  return r === null ? headline(e) : `${headline(e)} by agent ${r.agent_id}`
}

function amountFields(r: ReviewPart): Block[] {
  const fields: Block[] = []
  for (const [k, v] of Object.entries(r.tool_args)) {
    if (fields.length >= 8) break
    if (!AMOUNT_KEY.test(k) || (typeof v !== 'number' && typeof v !== 'string')) continue
    fields.push({ type: 'mrkdwn', text: `*${esc(k)}*\n*${esc(String(v))}*` })
  }
  return fields
}

function argBlocks(r: ReviewPart): Block[] {
  const json = JSON.stringify(r.tool_args, null, 2)
  const blocks: Block[] = []
  for (let i = 0; i < json.length && blocks.length < MAX_ARG_BLOCKS; i += SECTION_CHARS) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '```' + esc(json.slice(i, i + SECTION_CHARS)) + '```' } })
  }
  if (json.length > SECTION_CHARS * MAX_ARG_BLOCKS) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Arguments continue beyond what Slack can show; open the review for all of them.' }] })
  }
  return blocks
}

function reviewBlocks(e: NotifyEvent, r: ReviewPart): Block[] {
  const blocks: Block[] = [
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Tool*\n\`${esc(r.tool_name)}\`` },
        { type: 'mrkdwn', text: `*Agent*\n\`${esc(r.agent_id)}\`` },
        ...amountFields(r),
      ],
    },
    ...argBlocks(r),
    { type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${esc(r.reason)}` } },
  ]
  const context: string[] = [`request \`${r.request_id}\``]
  if (r.expires_at !== null && r.decision === null) context.push(`expires ${r.expires_at}`)
  if (r.decision !== null) context.push(`decided by ${esc(r.decision.decided_by)} via ${r.decision.channel}`)
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] })
  const pending = e.type === 'review.created' || e.type === 'review.expiring'
  const buttons: Block[] = []
  if (pending) {
    const value = JSON.stringify({ t: e.tenant_id, r: r.request_id })
    buttons.push(
      { type: 'button', action_id: SLACK_APPROVE_ACTION, style: 'primary', text: { type: 'plain_text', text: 'Approve' }, value },
      { type: 'button', action_id: SLACK_DENY_ACTION, style: 'danger', text: { type: 'plain_text', text: 'Deny' }, value },
    )
  }
  if (e.links.review !== null) buttons.push({ type: 'button', action_id: 'ledgix_open', text: { type: 'plain_text', text: 'Open review' }, url: e.links.review })
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `ledgix_review:${r.request_id}`, elements: buttons })
  return blocks
}

export function slackMessage(e: NotifyEvent): { text: string; blocks: Block[] } {
  const blocks: Block[] = [{ type: 'header', text: { type: 'plain_text', text: headline(e).slice(0, 150) } }]
  if (e.review !== null) blocks.push(...reviewBlocks(e, e.review))
  if (e.agent !== null) {
    const a = e.agent
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Agent* \`${esc(a.agent_id)}\` by ${esc(a.actor)}\n${esc(a.reason || 'no reason given')}` } })
  }
  if (e.ledger !== null) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${esc(e.ledger.check)}*\n${esc(e.ledger.detail)}` } })
  if (e.report !== null) {
    const p = e.report
    const detail = p.error ?? `exceptions: ${p.exceptions ?? 0} · JSON SHA-256 \`${p.json_sha256 ?? ''}\``
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Period* ${p.period.from} – ${p.period.to}\n${esc(detail)}` } })
    if (e.links.report !== null) blocks.push({ type: 'actions', elements: [{ type: 'button', action_id: 'ledgix_open_report', text: { type: 'plain_text', text: 'Open report' }, url: e.links.report }] })
  }
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `event \`${e.id}\` · ${e.occurred_at}` }] })
  return { text: summaryOf(e), blocks }
}

/** The replacement for a message once its review is decided or expired (buttons gone). */
export function slackResolvedMessage(e: NotifyEvent, outcome: string): { text: string; blocks: Block[]; replace_original: true } {
  const m = slackMessage(e)
  const blocks = m.blocks.filter((b) => b.type !== 'actions')
  blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*${esc(outcome)}*` } })
  return { text: `${m.text}: ${outcome}`, blocks, replace_original: true }
}
