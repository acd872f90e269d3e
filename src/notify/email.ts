// The email channel: nodemailer over SMTP (STARTTLS required unless the operator opts out, AUTH when
// a user is set), one message per event to the channel's recipients with a plain-text and an HTML part.
import { createTransport } from 'nodemailer'
import type { Transporter } from 'nodemailer'
import type { NotifyEvent } from './events.ts'
import { DELIVERED, failed } from './http-post.ts'
import type { SendResult } from './http-post.ts'
import { summaryOf } from './slack-message.ts'

export interface SmtpSettings {
  host: string
  port: number
  /** Implicit TLS (port 465). Otherwise STARTTLS, required when `requireTls`. */
  secure: boolean
  requireTls: boolean
  user: string | null
  password: string | null
  from: string
  /** PEM of extra CAs to trust (a private mail relay, tests); null = system roots. */
  caPem: string | null
}

function escHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function emailText(e: NotifyEvent): string {
  const lines = [summaryOf(e), '']
  const r = e.review
  if (r !== null) {
    lines.push(`Tool: ${r.tool_name}`, `Agent: ${r.agent_id}`, `Request: ${r.request_id}`, `Reason: ${r.reason}`)
    if (r.expires_at !== null && r.decision === null) lines.push(`Expires: ${r.expires_at}`)
    if (r.decision !== null) lines.push(`Decided by: ${r.decision.decided_by} (via ${r.decision.channel})`)
    lines.push('', 'Arguments:', JSON.stringify(r.tool_args, null, 2))
  }
  if (e.agent !== null) lines.push(`Agent: ${e.agent.agent_id}`, `By: ${e.agent.actor}`, `Reason: ${e.agent.reason || 'no reason given'}`)
  if (e.ledger !== null) lines.push(`Check: ${e.ledger.check}`, e.ledger.detail)
  const p = e.report
  if (p !== null) {
    lines.push(`Report: ${p.report_id}`, `Period: ${p.period.from} – ${p.period.to}`, `Formats: ${p.formats.join(', ')}`)
    if (p.error !== null) lines.push(`Error: ${p.error}`)
    else lines.push(`Exceptions: ${p.exceptions ?? 0}`, `JSON SHA-256: ${p.json_sha256 ?? ''}`)
  }
  if (e.links.review !== null) lines.push('', `Open the review: ${e.links.review}`)
  if (e.links.report !== null) lines.push('', `Open the report: ${e.links.report}`)
  lines.push('', `Event ${e.id} (${e.type}) at ${e.occurred_at}`)
  return lines.join('\n')
}

export function emailHtml(e: NotifyEvent): string {
  const rows: string[] = []
  const row = (k: string, v: string): void => {
    rows.push(`<tr><th align="left">${escHtml(k)}</th><td>${escHtml(v)}</td></tr>`)
  }
  const r = e.review
  if (r !== null) {
    row('Tool', r.tool_name)
    row('Agent', r.agent_id)
    row('Request', r.request_id)
    row('Reason', r.reason)
    if (r.expires_at !== null && r.decision === null) row('Expires', r.expires_at)
    if (r.decision !== null) row('Decided by', `${r.decision.decided_by} (via ${r.decision.channel})`)
  }
  if (e.agent !== null) {
    row('Agent', e.agent.agent_id)
    row('By', e.agent.actor)
    row('Reason', e.agent.reason || 'no reason given')
  }
  if (e.ledger !== null) row(e.ledger.check, e.ledger.detail)
  const p = e.report
  if (p !== null) {
    row('Report', p.report_id)
    row('Period', `${p.period.from} – ${p.period.to}`)
    row('Formats', p.formats.join(', '))
    if (p.error !== null) row('Error', p.error)
    else {
      row('Exceptions', String(p.exceptions ?? 0))
      row('JSON SHA-256', p.json_sha256 ?? '')
    }
  }
  const args = r === null ? '' : `<pre>${escHtml(JSON.stringify(r.tool_args, null, 2))}</pre>`
  const href = e.links.review ?? e.links.report
  const link = href === null ? '' : `<p><a href="${escHtml(href)}">Open the ${e.links.review !== null ? 'review' : 'report'}</a></p>`
  return `<h2>${escHtml(summaryOf(e))}</h2><table>${rows.join('')}</table>${args}${link}<p><small>Event ${escHtml(e.id)} (${escHtml(e.type)}) at ${escHtml(e.occurred_at)}</small></p>`
}

export class EmailSender {
  #transport: Transporter
  #from: string

  constructor(smtp: SmtpSettings) {
    this.#from = smtp.from
    this.#transport = createTransport({
      // A pooled connection: one SMTP handshake (and STARTTLS) serves many mails.
      pool: true,
      maxConnections: 2,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.requireTls,
      ...(smtp.user === null ? {} : { auth: { user: smtp.user, pass: smtp.password ?? '' } }),
      ...(smtp.caPem === null ? {} : { tls: { ca: smtp.caPem } }),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 15_000,
    })
  }

  async send(recipients: readonly string[], e: NotifyEvent, timeoutMs: number): Promise<SendResult> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<SendResult>((resolve) => {
      timer = setTimeout(resolve, timeoutMs, failed('timed out'))
    })
    const attempt = this.#transport
      .sendMail({
        from: this.#from,
        to: recipients.join(', '),
        subject: `[Ledgix] ${summaryOf(e)}`,
        text: emailText(e),
        html: emailHtml(e),
        headers: { 'X-Ledgix-Event-Id': e.id, 'X-Ledgix-Event-Type': e.type },
        messageId: `<${e.id}@ledgix-gateway>`,
      })
      .then(
        () => DELIVERED,
        (err: { responseCode?: number; code?: string; message?: string }) =>
          failed(`smtp: ${err.code ?? ''} ${String(err.message ?? '').slice(0, 160)}`.trim(), err.responseCode ?? null),
      )
    try {
      return await Promise.race([attempt, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  close(): void {
    this.#transport.close()
  }
}
