// Where should the SQLite writer run, and where its fsync? Measures burn-server.ts with the writer on
// the main thread (`main`: as shipped, burn batches synced by an fdatasync on the libuv pool;
// `inline`: every COMMIT fsyncs on the main thread) and on a worker_thread, interleaved in the same
// run, at 64 connections (throughput and p99 of the gated path under load) and at 1 connection (what
// one request pays). Same placement as the harness: servers on the SUT core, wrk and the upstream on
// the load core.
// Usage: node --import tsx bench/micro/burn-writer-compare.ts [seconds=5] [rounds=3] [modes=main,inline,worker]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runLoad } from '../lib/loadgen.ts'
import type { LoadResult } from '../lib/loadgen.ts'
import { spawnManaged, stopAll, useTaskset, waitForHttp } from '../lib/procs.ts'
import { median } from '../lib/report.ts'
import { REPO_DIR, startUpstream } from '../lib/stack.ts'
import { probeEnvironment } from '../lib/tools.ts'
import type { Ctx } from '../lib/measure.ts'

const seconds = Number(process.argv[2] ?? 5)
const rounds = Number(process.argv[3] ?? 3)
const modes = (process.argv[4] ?? 'main,inline,worker').split(',')
for (const m of modes) if (!['main', 'inline', 'worker'].includes(m)) throw new Error(`unknown mode ${m}: use main, inline or worker`)
const env = probeEnvironment({ install: false, forceAutocannon: false })
useTaskset(env.taskset)
const dir = mkdtempSync(join(tmpdir(), 'ledgix-burn-writer-'))

async function startServer(mode: string, upstream: string): Promise<string> {
  const args = ['--import', 'tsx', join(REPO_DIR, 'bench', 'micro', 'burn-server.ts'), mode, join(dir, mode, 'vault.db'), upstream]
  const m = spawnManaged(`burn-${mode}`, process.execPath, args, dir, { core: env.placement.sut, cwd: REPO_DIR })
  for (let i = 0; i < 200; i++) {
    const port = /"port":(\d+)/.exec(m.tail())?.[1]
    if (port !== undefined) {
      const url = `http://127.0.0.1:${port}`
      await waitForHttp(`${url}/gated`, m, 30_000)
      return url
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`burn-server ${mode} did not start: ${m.tail()}`)
}

try {
  const upstream = await startUpstream({ env, dir } as unknown as Ctx)
  const urls: Record<string, string> = {}
  for (const mode of modes) urls[mode] = await startServer(mode, upstream.url)
  const results: Record<string, LoadResult[]> = {}
  for (const connections of [64, 1]) for (const mode of modes) results[`${mode}-${connections}`] = []
  for (const mode of modes) await runLoad(env, { label: `warm-${mode}`, url: `${urls[mode]}/gated`, connections: 64, durationSec: 2 }, dir)
  for (let r = 0; r < rounds; r++) {
    for (const mode of modes) {
      for (const connections of [64, 1]) {
        const res = await runLoad(env, { label: `${mode}-${connections}-${r}`, url: `${urls[mode]}/gated`, connections, durationSec: seconds }, dir)
        results[`${mode}-${connections}`]!.push(res)
        process.stdout.write(JSON.stringify({ mode, connections, round: r, rps: Math.round(res.rps), p50_ms: res.p50Ms, p99_ms: res.p99Ms, non2xx: res.non2xx }) + '\n')
      }
    }
  }
  process.stdout.write(`\n| writer | connections | req/s | p50 ms | p99 ms | runs (req/s) |\n|---|---:|---:|---:|---:|---|\n`)
  for (const [key, list] of Object.entries(results)) {
    const [mode, connections] = key.split('-')
    const cell = (f: (x: LoadResult) => number, d: number): string => median(list.map(f)).toFixed(d)
    process.stdout.write(`| ${mode} | ${connections} | ${cell((x) => x.rps, 0)} | ${cell((x) => x.p50Ms, 3)} | ${cell((x) => x.p99Ms, 3)} | ${list.map((x) => Math.round(x.rps)).join(' / ')} |\n`)
  }
} finally {
  await stopAll()
  rmSync(dir, { recursive: true, force: true })
}
