// Ledger scenarios of issue 7 (durable appends/s, inclusion proof latency at 10^6 entries, full
// verify events/s). src/ledger has the pure core (hashing, Merkle, receipts, verifyLedger) but no
// sealer or durable append API yet, so these rows say so instead of inventing a number.
import { isSelected } from '../lib/measure.ts'
import type { Ctx } from '../lib/measure.ts'
import { unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'

export const LEDGER_IDS = ['ledger-append', 'ledger-inclusion-proof', 'ledger-full-verify'] as const

const TITLES: Record<(typeof LEDGER_IDS)[number], string> = {
  'ledger-append': 'ledger: durable appends/s (target ≥ 5,000/s)',
  'ledger-inclusion-proof': 'ledger: inclusion proof latency at 10^6 entries',
  'ledger-full-verify': 'ledger: full verify, events/s',
}

const REASON =
  'not measurable yet: src/ledger exports no sealer / durable append / proof-serving API; decision events are appended inside /request-clearance (see that row)'

export function ledgerRows(ctx: Ctx): Row[] {
  const rows: Row[] = []
  for (const id of LEDGER_IDS) if (isSelected(ctx, id)) rows.push(unavailable(id, TITLES[id], REASON))
  return rows
}
