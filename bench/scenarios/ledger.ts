// Ledger scenarios of issue 7: durable appends/s (64 concurrent appenders, sealer on), inclusion-proof
// latency in a 10^6-entry tree, and full-verify events/s in both modes. Each runs bench/micro/ledger.ts
// once, pinned to the SUT core: the child does its setup, then `--runs` measured rounds, and the row
// reports their median. No HTTP: the LedgerService and the SQLite store are called directly.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../lib/measure.ts'
import { isSelected } from '../lib/measure.ts'
import { lastLines, spawnManaged, stopManaged } from '../lib/procs.ts'
import { median, newRow, unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { REPO_DIR } from '../lib/stack.ts'
import { VERIFY_ID } from './references.ts'

export const LEDGER_IDS = ['ledger-append', 'ledger-inclusion-proof', 'ledger-full-verify', 'ledger-tree-verify'] as const
type LedgerId = (typeof LEDGER_IDS)[number]

/**
 * Tree size of the proof scenario. 10^5 by default: the bulk setup of 10^6 entries took 5.5–6.5 min
 * on the shared 2-vCPU machine (hashing + 10^6 row inserts + 2·10^6 node inserts), too long for
 * every `npm run bench`. `BENCH_LEDGER_ENTRIES=1000000` measures the size; a proof reads
 * O(log n) nodes, so 10^6 adds ~3 node reads per proof to 10^5 (README has both numbers).
 */
const PROOF_ENTRIES = Number(process.env['BENCH_LEDGER_ENTRIES'] ?? 100_000)
/** Verification rate does not depend on the size; 50,000 keeps the setup near 10 s. */
const VERIFY_ENTRIES = 50_000

interface Plan {
  title: string
  args: string[]
  minRps: number | null
  notes: string[]
  /** Setup budget on top of the rounds. */
  setupSec: number
}

function plans(): Record<LedgerId, Plan> {
  return {
    'ledger-append': {
      title: 'ledger: durable appends/s (LedgerService.append, 64 concurrent, sealer on)',
      args: ['append', '--connections', '64'],
      minRps: 5000,
      notes: ['hash + receipt signature + group-committed insert (synchronous=FULL) per event; seal batches of 256 / 250 ms; p50/p99 = append latency'],
      setupSec: 10,
    },
    'ledger-inclusion-proof': {
      title: `ledger: inclusion proof latency at ${PROOF_ENTRIES.toLocaleString('en-US')} entries`,
      args: ['proof', '--entries', String(PROOF_ENTRIES)],
      minRps: null,
      notes: ['one proof at a time for a random request_id (row lookup + covering checkpoint + O(log n) node reads); req/s = proofs/s; target p99 < 2 ms'],
      setupSec: 600,
    },
    'ledger-full-verify': {
      title: 'ledger: verify mode=full (issue 5 checks plus every receipt signature), events/s',
      args: ['verify', '--entries', String(VERIFY_ENTRIES), '--mode', 'full'],
      minRps: 50_000,
      notes: [`${VERIFY_ENTRIES.toLocaleString('en-US')} events, one verification pass per round; bounded by one Ed25519 verify per receipt (see the verify-ceiling row)`],
      setupSec: 120,
    },
    'ledger-tree-verify': {
      title: 'ledger: full verify as issue 5 defines it (mode=tree: every leaf and the tree recomputed, every checkpoint signature and link; sealed receipts proven via checkpoints), events/s',
      args: ['verify', '--entries', String(VERIFY_ENTRIES), '--mode', 'tree'],
      minRps: 50_000,
      notes: [`${VERIFY_ENTRIES.toLocaleString('en-US')} events; what each mode proves: docs/design/ledger.md "Verification modes"`],
      setupSec: 120,
    },
  }
}

interface Round {
  round?: boolean
  rate?: number
  p50_ms?: number
  p99_ms?: number
  count?: number
  setup_s?: number
}

async function measure(ctx: Ctx, id: LedgerId, plan: Plan): Promise<Row> {
  const runs = ctx.opts.runs
  const seconds = ctx.opts.durationSec
  // The store lives in the run's temp dir, so it is removed with it even if the child is killed.
  const dir = join(ctx.dir, `ledger-${id}`)
  const args = ['--import', 'tsx', join(REPO_DIR, 'bench', 'micro', 'ledger.ts'), ...plan.args, '--runs', String(runs), '--seconds', String(seconds), '--dir', dir]
  const m = spawnManaged(id, process.execPath, args, ctx.dir, { core: ctx.env.placement.sut, cwd: REPO_DIR })
  const guard = setTimeout(() => void stopManaged(m), (plan.setupSec + runs * (seconds * 3 + 30)) * 1000)
  await m.exited
  clearTimeout(guard)
  const text = readFileSync(m.logFile, 'utf8')
  const lines = text.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Round)
  const rounds = lines.filter((l) => l.round === true)
  if (rounds.length === 0) return unavailable(id, plan.title, lastLines(text))
  const row = newRow(id, plan.title)
  row.minRps = plan.minRps
  if (id === 'ledger-full-verify') row.compare = [{ ref: VERIFY_ID, target: null }]
  row.runs = rounds.map((r) => ({ rps: r.rate ?? 0, p50Ms: r.p50_ms ?? 0, p99Ms: r.p99_ms ?? 0, requests: r.count ?? 0, non2xx: 0, socketErrors: 0 }))
  row.rps = median(row.runs.map((r) => r.rps))
  if (id === 'ledger-append' || id === 'ledger-inclusion-proof') {
    row.p50Ms = median(row.runs.map((r) => r.p50Ms))
    row.p99Ms = median(row.runs.map((r) => r.p99Ms))
  }
  row.notes.push(...plan.notes)
  const setup = lines.find((l) => l.setup_s !== undefined)
  if (setup?.setup_s !== undefined) row.notes.push(`setup (bulk append + seal, not measured) ${setup.setup_s.toFixed(0)} s`)
  if (rounds.length > 1) row.notes.push(`runs: ${rounds.map((r) => Math.round(r.rate ?? 0).toLocaleString('en-US')).join(' / ')}/s`)
  if (id === 'ledger-inclusion-proof') row.notes.push(`p99 target < 2 ms ${row.p99Ms !== null && row.p99Ms < 2 ? '✓' : '✗'}`)
  return row
}

/** The ledger rows, measured one after another (each child owns its temp store). */
export async function ledgerRows(ctx: Ctx): Promise<Row[]> {
  const rows: Row[] = []
  const all = plans()
  for (const id of LEDGER_IDS) {
    if (!isSelected(ctx, id)) continue
    process.stderr.write(`bench: ${id}\n`)
    try {
      rows.push(await measure(ctx, id, all[id]))
    } catch (err) {
      rows.push(unavailable(id, all[id].title, err instanceof Error ? err.message : String(err)))
    }
  }
  return rows
}
