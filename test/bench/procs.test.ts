// The harness's /proc readings of a managed child: CPU time of its whole process group (what the
// "CPU of the system under test per request" notes divide) and RSS.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuSeconds, rssMiB, spawnManaged, stopManaged } from '../../bench/lib/procs.ts'

const linux = process.platform === 'linux'

test('procs: cpuSeconds counts a busy child and its own child (one process group); rssMiB sums the group', { skip: linux ? false : 'reads /proc (Linux only)' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-procs-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // The parent idles; its child (same process group) spins for ~600 ms, then both wait to be stopped.
  const script = `
    const { spawn } = require('node:child_process')
    spawn(process.execPath, ['-e', 'const end = Date.now() + 600; while (Date.now() < end); setInterval(() => {}, 1000)'], { stdio: 'ignore' })
    setInterval(() => {}, 1000)
    console.log('up')`
  const m = spawnManaged('busy-group', process.execPath, ['-e', script], dir, { core: null })
  t.after(() => stopManaged(m))
  const before = cpuSeconds(m)
  assert.notEqual(before, null)
  await new Promise((r) => setTimeout(r, 1200))
  const after = cpuSeconds(m)!
  // The spinning child alone used ~0.6 s; the idle parent almost nothing.
  assert.ok(after - before! >= 0.4, `group CPU grew by ${(after - before!).toFixed(2)} s, expected ≥ 0.4`)
  assert.ok(after - before! < 3, `group CPU grew by ${(after - before!).toFixed(2)} s`)
  const rss = rssMiB(m)
  assert.ok(rss !== null && rss > 20, `RSS of two node processes: ${String(rss)} MiB`)
  await stopManaged(m)
  assert.equal(cpuSeconds(m), null, 'gone: null, not a stale number')
})
