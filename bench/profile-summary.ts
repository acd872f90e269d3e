// Summarises a V8 .cpuprofile (from `tsx bench/run.ts --cpu-prof`): self time by function and by
// file/package, so "what limits us" can be read without opening DevTools. For a flame graph:
// bench/flamegraph.ts (SVG), or load the same file in Chrome DevTools (Performance) or speedscope.
// To compare two profiles per request: bench/profile-diff.ts.
// Usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readProfile, selfByKey, selfByLabel } from './lib/cpuprofile.ts'

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]\n')
  process.exit(2)
}
const top = Number(process.argv[3] ?? 25)
const profile = readProfile(file)

/** node_modules/<pkg>, src/<module>, node:internal, or the bare url. */
function bucketOf(url: string): string {
  if (url === '') return '(native / V8)'
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (nm !== null) return `pkg ${nm[1]}`
  const src = /\/(src\/[^/]+|bench\/[^/]+)/.exec(url)
  if (src !== null) return src[1]!
  if (url.startsWith('node:')) return url.split('/').slice(0, 2).join('/')
  return url
}

const { byLabel: selfByFn, totalUs: total } = selfByLabel(profile)
const { byKey: selfByBucket } = selfByKey(profile, (frame) => bucketOf(frame.url))

function print(title: string, map: Map<string, number>, count: number): void {
  process.stdout.write(`\n${title}\n`)
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
  for (const [name, us] of rows) process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`)
}

process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`)
print('self time by package / module', selfByBucket, 15)
print('self time by function', selfByFn, top)
