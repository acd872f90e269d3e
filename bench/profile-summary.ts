// Summarises a V8 .cpuprofile (from `tsx bench/run.ts --cpu-prof`): self time by function and by
// file/package, so "what limits us" can be read without opening DevTools. For a flame graph, load
// the same file in Chrome DevTools (Performance) or https://www.speedscope.app.
// Usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25]\n')
  process.exit(2)
}
const top = Number(process.argv[3] ?? 25)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))

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

const selfByFn = new Map<string, number>()
const selfByBucket = new Map<string, number>()
let total = 0
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i]!)
  const dt = profile.timeDeltas[i] ?? 0
  if (node === undefined) continue
  total += dt
  const f = node.callFrame
  const where = f.url === '' ? '' : ` ${f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${f.lineNumber + 1}`
  const key = `${f.functionName || '(anonymous)'}${where}`
  selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt)
  const bucket = bucketOf(f.url)
  selfByBucket.set(bucket, (selfByBucket.get(bucket) ?? 0) + dt)
}

function print(title: string, map: Map<string, number>, count: number): void {
  process.stdout.write(`\n${title}\n`)
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count)
  for (const [name, us] of rows) process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}\n`)
}

process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n`)
print('self time by package / module', selfByBucket, 15)
print('self time by function', selfByFn, top)
