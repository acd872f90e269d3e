// The bench's profile tools (flame graph, per-request diff) on a real profile: `node --cpu-prof`
// on a script that burns CPU in two named functions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { diffProfiles } from '../../bench/profile-diff.ts'
import { renderFlameGraph, writeFlameGraphs } from '../../bench/flamegraph.ts'
import { callTree, readProfile, selfByLabel } from '../../bench/lib/cpuprofile.ts'
import type { CpuProfile } from '../../bench/lib/cpuprofile.ts'

const run = promisify(execFile)

const SCRIPT = `
function spinOuterLedgix(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x += innerHashLedgix(x); return x }
function innerHashLedgix(x) { let h = x; for (let i = 0; i < 200; i++) h = (h * 31 + i) % 1000003; return h }
function otherWorkLedgix(ms) { const end = Date.now() + ms; let s = ''; while (Date.now() < end) s = String(Math.random()).slice(2) + s.slice(0, 64); return s.length }
spinOuterLedgix(300); otherWorkLedgix(150)
`

async function profileOfScript(t: { after: (fn: () => void) => void }): Promise<{ profile: CpuProfile; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-prof-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'busy.cjs'), SCRIPT)
  await run(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, join(dir, 'busy.cjs')], { timeout: 30_000 })
  const name = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  assert.ok(name !== undefined, 'node --cpu-prof wrote no profile')
  const file = join(dir, name)
  return { profile: readProfile(file), file }
}

test('flame graph: an SVG whose boxes name the hot functions, nest callees above callers and fit the width', async (t) => {
  const { profile } = await profileOfScript(t)
  const svg = renderFlameGraph(callTree(profile), { width: 1200, keepIdle: false, title: 'busy <script> & "co"' })
  assert.match(svg, /^<\?xml/)
  assert.match(svg, /<\/svg>\n$/)
  assert.match(svg, /busy &#60;script&#62; &#38; &#34;co&#34;/, 'the title is XML-escaped')
  assert.doesNotMatch(svg, /<title>\(idle\)/, 'idle is left out by default')
  const boxes = [...svg.matchAll(/<title>([^<]*)<\/title><rect x="([\d.]+)" y="(\d+)" width="([\d.]+)"/g)].map((m) => ({ title: m[1]!, x: Number(m[2]), y: Number(m[3]), w: Number(m[4]) }))
  const outer = boxes.find((b) => b.title.startsWith('spinOuterLedgix'))
  const inner = boxes.find((b) => b.title.startsWith('innerHashLedgix'))
  const other = boxes.find((b) => b.title.startsWith('otherWorkLedgix'))
  assert.ok(outer && inner && other, 'each busy function has a box')
  // The callee sits one row above its caller, inside its span.
  assert.ok(inner.y < outer.y && inner.x >= outer.x - 0.01 && inner.x + inner.w <= outer.x + outer.w + 0.01)
  // ~300 ms against ~150 ms of work: the wider box is the longer function.
  assert.ok(outer.w > other.w, `${outer.w} > ${other.w}`)
  for (const b of boxes) assert.ok(b.x >= 0 && b.x + b.w <= 1200 + 0.01, `box inside the width: ${b.title}`)
  assert.match(svg, /<title>all: /)
})

test('profile diff: per-unit self time, idle left out, largest difference first; a profile against itself differs by nothing', async (t) => {
  const { profile } = await profileOfScript(t)
  const { byLabel, totalUs } = selfByLabel(profile)
  assert.equal(totalUs, profile.timeDeltas.reduce((s, d) => s + d, 0))
  const same = diffProfiles(byLabel, 1000, byLabel, 1000)
  assert.ok(same.length > 0 && same.every((r) => r.aUs === r.bUs))
  assert.ok(!same.some((r) => r.label === '(idle)'))
  // Twice the units on one side halves its per-unit cost.
  const halved = diffProfiles(byLabel, 1000, byLabel, 2000)
  for (const r of halved) assert.ok(Math.abs(r.aUs - 2 * r.bUs) < 1e-9)
  const sorted = halved.map((r) => Math.abs(r.aUs - r.bUs))
  assert.deepEqual(sorted, [...sorted].sort((a, b) => b - a))
  const byName = selfByLabel(profile, true).byLabel
  assert.ok([...byName.keys()].includes('spinOuterLedgix'), 'by-name keys drop file and line')
})

test('readProfile refuses a file that is not a .cpuprofile, naming it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-prof-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'x.cpuprofile')
  writeFileSync(file, '{"nodes": []}')
  assert.throws(() => readProfile(file), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a V8 \\.cpuprofile`))
})

test('bench --cpu-prof: a flame graph beside every profile under the run dir; an unreadable profile is reported, not fatal', async (t) => {
  const { file } = await profileOfScript(t)
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-prof-run-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'gateway-all-in-one'))
  const good = join(dir, 'gateway-all-in-one', 'CPU.1.cpuprofile')
  copyFileSync(file, good)
  writeFileSync(join(dir, 'broken.cpuprofile'), 'not json')
  const result = writeFlameGraphs(dir, 800)
  assert.deepEqual(result.written, [`${good}.svg`])
  assert.ok(existsSync(`${good}.svg`))
  assert.match(readFileSync(`${good}.svg`, 'utf8'), /spinOuterLedgix/)
  assert.equal(result.failed.length, 1)
  assert.match(result.failed[0]!, /broken\.cpuprofile: /)
})
