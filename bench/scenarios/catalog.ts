// Every scenario id of the harness and the references its ratios need, for `--only`: a selected
// scenario brings its references along, so its ratio is always computed in the same run.
import { CLEARANCE_DRIFT_ID, CLEARANCE_ID, CONSUME_ID } from './vault.ts'
import { CLEARANCE_PG2_ID, CLEARANCE_PG_ID, CONSUME_PG2_ID, CONSUME_PG_ID } from './postgres.ts'
import { REVIEW_ID, REVIEW_NOTIFY_ID } from './notify.ts'
import * as G from './gateway.ts'
import { LEDGER_IDS } from './ledger.ts'
import { AFTER_ID, COLD_ID, IDLE_ID } from './memory.ts'
import { KEY_IDS } from './keys.ts'
import { SOAK_ID } from './soak.ts'
import { UPLOAD_ID, WS_ID } from './streams.ts'
import { BARE_ID, DIRECT_ID, LAT_BARE_ID, NGINX_ID, VERIFY_ID } from './references.ts'

/** id → ids it is compared against (or needs to be meaningful). */
export const CATALOG: Readonly<Record<string, readonly string[]>> = {
  [VERIFY_ID]: [],
  [DIRECT_ID]: [],
  [BARE_ID]: [DIRECT_ID],
  [NGINX_ID]: [DIRECT_ID],
  [G.PASSTHROUGH_ID]: [BARE_ID, NGINX_ID, DIRECT_ID],
  [G.GATED_AIO_ID]: [VERIFY_ID, G.NAIVE_ID, G.NAIVE_SHARED_ID],
  [G.GATED_PAIRED_ID]: [VERIFY_ID, G.NAIVE_ID],
  [G.GATED_PAIRED_SHARED_ID]: [VERIFY_ID, G.NAIVE_SHARED_ID],
  [G.NAIVE_ID]: [VERIFY_ID],
  [G.NAIVE_SHARED_ID]: [VERIFY_ID],
  [G.REPLAY_ID]: [VERIFY_ID],
  [CONSUME_ID]: [VERIFY_ID],
  [CLEARANCE_ID]: [],
  [CLEARANCE_DRIFT_ID]: [CLEARANCE_ID],
  [CONSUME_PG_ID]: [CONSUME_ID],
  [CONSUME_PG2_ID]: [CONSUME_PG_ID],
  [CLEARANCE_PG_ID]: [CLEARANCE_ID],
  [CLEARANCE_PG2_ID]: [CLEARANCE_PG_ID],
  [REVIEW_ID]: [],
  [REVIEW_NOTIFY_ID]: [REVIEW_ID],
  [G.LAT_DIRECT_ID]: [],
  [LAT_BARE_ID]: [G.LAT_DIRECT_ID, BARE_ID],
  [G.LAT_PASS_ID]: [G.LAT_DIRECT_ID, LAT_BARE_ID],
  [G.LAT_GATED_ID]: [G.LAT_DIRECT_ID],
  [IDLE_ID]: [],
  [AFTER_ID]: [],
  [SOAK_ID]: [],
  [UPLOAD_ID]: [],
  [WS_ID]: [],
  ...Object.fromEntries(KEY_IDS.map((id) => [id, []])),
  [COLD_ID]: [],
  ...Object.fromEntries(LEDGER_IDS.map((id) => [id, id === 'ledger-full-verify' ? [VERIFY_ID] : []])),
}

/** null = everything; otherwise the ids containing any filter, plus their references. */
export function selectScenarios(filters: readonly string[]): Set<string> | null {
  if (filters.length === 0) return null
  const wanted = filters.map((f) => f.toLowerCase())
  const selected = new Set<string>()
  const add = (id: string): void => {
    if (selected.has(id)) return
    selected.add(id)
    for (const dep of CATALOG[id] ?? []) add(dep)
  }
  for (const id of Object.keys(CATALOG)) if (wanted.some((w) => id.includes(w))) add(id)
  if (selected.size === 0) throw new Error(`--only ${filters.join(', ')}: no scenario id matches; ids: ${Object.keys(CATALOG).join(', ')}`)
  return selected
}
