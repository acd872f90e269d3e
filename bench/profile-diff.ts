// Where does one process spend more than another per unit of work? Compares two V8 .cpuprofile
// files by self time per function, each divided by the work it did (requests, from wrk or the
// access log), so a gateway and a reference profiled under the same load compare in µs per request.
// `(idle)` is left out: it is the time a process waited, not what a request cost.
// Usage: tsx bench/profile-diff.ts [--by-name] [--top N] A.cpuprofile A_requests B.cpuprofile B_requests
//   --by-name  key by function name only (plus the module for node: builtins), so a bundled build
//              and tsx sources of the same library compare; default: name, file and line
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { readProfile, selfByLabel } from './lib/cpuprofile.ts'

const USAGE = 'usage: tsx bench/profile-diff.ts [--by-name] [--top N] A.cpuprofile A_requests B.cpuprofile B_requests\n'

export interface DiffRow {
  label: string
  aUs: number
  bUs: number
}

/** Per-unit self time of every label in either profile, largest absolute difference first. */
export function diffProfiles(a: Map<string, number>, aUnits: number, b: Map<string, number>, bUnits: number): DiffRow[] {
  const rows: DiffRow[] = []
  for (const label of new Set([...a.keys(), ...b.keys()])) {
    if (label === '(idle)') continue
    rows.push({ label, aUs: (a.get(label) ?? 0) / aUnits, bUs: (b.get(label) ?? 0) / bUnits })
  }
  return rows.sort((x, y) => Math.abs(y.aUs - y.bUs) - Math.abs(x.aUs - x.bUs))
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { 'by-name': { type: 'boolean', default: false }, top: { type: 'string', default: '30' } }, allowPositionals: true })
  const [aFile, aCount, bFile, bCount] = positionals
  const aUnits = Number(aCount)
  const bUnits = Number(bCount)
  const top = Number(values.top)
  if (bFile === undefined || !(aUnits > 0) || !(bUnits > 0) || !(top > 0)) {
    process.stderr.write(USAGE)
    process.exit(2)
  }
  const nameOnly = values['by-name'] === true
  const a = selfByLabel(readProfile(aFile!), nameOnly).byLabel
  const b = selfByLabel(readProfile(bFile), nameOnly).byLabel
  const rows = diffProfiles(a, aUnits, b, bUnits)
  const busy = (rows: DiffRow[], pick: (r: DiffRow) => number): number => rows.reduce((sum, r) => sum + pick(r), 0)
  const fmt = (us: number): string => us.toFixed(2).padStart(8)
  process.stdout.write(`busy µs per unit (idle excluded): A ${busy(rows, (r) => r.aUs).toFixed(1)}  B ${busy(rows, (r) => r.bUs).toFixed(1)}\n`)
  process.stdout.write(`${'A'.padStart(8)} ${'B'.padStart(8)} ${'A−B'.padStart(8)}  function\n`)
  for (const r of rows.slice(0, top)) process.stdout.write(`${fmt(r.aUs)} ${fmt(r.bUs)} ${fmt(r.aUs - r.bUs)}  ${r.label}\n`)
}

// Run as a command, not when imported (bench/run.ts, tests).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
