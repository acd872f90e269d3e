// The population as CSV (RFC 4180): one line per ledger row of the period, the listing an auditor
// re-foots and samples from. Caller-chosen text (agent ids, tool names) is quoted, and a cell that a
// spreadsheet would run as a formula (= + - @ tab CR) is prefixed with ' (OWASP CSV injection).
import type { PopulationRow } from './population.ts'

export const CSV_COLUMNS = ['seq', 'request_id', 'accepted_at', 'event_type', 'tool_name', 'agent_id', 'policy_id', 'decision_status', 'approved', 'token', 'leaf_index', 'leaf_hash'] as const

function cell(value: string | number | boolean | null): string {
  if (value === null) return ''
  let text = String(value)
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replace(/"/g, '""')}"` : text
}

export function renderCsv(rows: ReadonlyArray<PopulationRow & { token: string }>): Uint8Array {
  const lines: string[] = [CSV_COLUMNS.join(',')]
  for (const r of rows) {
    lines.push(
      [r.seq, r.requestId, new Date(r.acceptedAtMs).toISOString(), r.eventType, r.toolName, r.agentId, r.policyId, r.decisionStatus, r.approved, r.token, r.leafIndex, r.leafHash]
        .map(cell)
        .join(','),
    )
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8')
}
