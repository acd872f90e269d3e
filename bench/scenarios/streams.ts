// Streaming memory rows of issue 7 ("1 GiB upload and a long WebSocket stream pass with ≤ 1 MiB
// memory growth per stream"), against a dedicated all-in-one gateway (configs/streams.yaml) in front
// of bench/sink-upstream.mjs. Both routes are token-gated: one fresh token per stream, burned before
// the first byte goes upstream. The client (bench/stream-client.mjs) runs pinned to the load core;
// meanwhile the harness samples the gateway's VmRSS from /proc every SAMPLE_MS. Per stream: the
// pre-stream plateau (median of idle readings after a warm-up stream), the peak during the stream
// (the target: peak − plateau ≤ 1 MiB) and the RSS a second after it.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Ctx } from '../lib/measure.ts'
import { lastLines, rssKiB, sleep, spawnManaged, stopManaged } from '../lib/procs.ts'
import type { Managed } from '../lib/procs.ts'
import { median, newRow, unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { REPO_DIR, startBareProxy, startGateway, startSink } from '../lib/stack.ts'
import type { GatewayStarted, Started } from '../lib/stack.ts'
import { mintBenchToken } from '../lib/tokens.ts'

export const UPLOAD_ID = 'stream-upload'
export const WS_ID = 'stream-websocket'

const GiB = 2 ** 30
const MiB = 2 ** 20
const TARGET_GROWTH_MIB = 1
const SAMPLE_MS = 50
/**
 * The first large stream after start raises RSS once by ~20–25 MiB — the same for 128 MiB and
 * 1 GiB, so not buffering: garbage 64 KiB read buffers (external memory) pile up until V8 collects
 * them, and the allocator keeps the pages. A warm-up stream of this size reaches that high-water
 * mark before the plateau is read; its own growth is reported in the notes.
 */
const WARMUP_BYTES_FULL = 256 * MiB
const WARMUP_BYTES_QUICK = 64 * MiB
const WS_MAX_SECONDS_FULL = 60
const WS_MAX_SECONDS_QUICK = 10
const CLIENT = join(REPO_DIR, 'bench', 'stream-client.mjs')

interface ClientResult {
  ok: boolean
  mode: 'upload' | 'ws'
  bytes: number
  seconds: number
  sent?: number
  received?: number | null
  status?: number
  echoedBytes?: number
  messages?: number
  why?: string
  error?: string
  body?: string
}

interface StreamRun {
  plateauMiB: number
  plateauSpreadMiB: number
  peakMiB: number
  afterMiB: number
  samples: number
  result: ClientResult
}

let clients = 0

function token(ctx: Ctx): string {
  return mintBenchToken(ctx.key, Math.floor(Date.now() / 1000), 1800)
}

function rssOf(m: Managed): number {
  const kib = rssKiB(m.pid)
  return kib === null ? NaN : kib / 1024
}

async function plateau(m: Managed): Promise<{ median: number; spread: number }> {
  await sleep(500)
  const readings: number[] = []
  for (let i = 0; i < 5; i++) {
    readings.push(rssOf(m))
    await sleep(100)
  }
  return { median: median(readings), spread: Math.max(...readings) - Math.min(...readings) }
}

/** Run the client child to completion; resolves with its STREAMJSON result (or throws with its output). */
async function runClient(ctx: Ctx, args: string[], onTick: () => void): Promise<ClientResult> {
  const m = spawnManaged(`stream-client-${++clients}`, process.execPath, [CLIENT, ...args], ctx.dir, { core: ctx.env.placement.load, cwd: REPO_DIR })
  const timer = setInterval(onTick, SAMPLE_MS)
  // The client has its own 300 s limit; this is the backstop.
  const guard = setTimeout(() => void stopManaged(m, 1000), 330_000)
  try {
    await m.exited
  } finally {
    clearInterval(timer)
    clearTimeout(guard)
  }
  const text = readFileSync(m.logFile, 'utf8')
  const at = text.lastIndexOf('STREAMJSON ')
  if (at === -1) throw new Error(`stream client gave no result: ${lastLines(text)}`)
  return JSON.parse(text.slice(at + 'STREAMJSON '.length).split('\n')[0]!) as ClientResult
}

async function oneStream(ctx: Ctx, sut: Managed, args: () => string[]): Promise<StreamRun> {
  const before = await plateau(sut)
  let peak = before.median
  let samples = 0
  const result = await runClient(ctx, args(), () => {
    const v = rssOf(sut)
    samples++
    if (v > peak) peak = v
  })
  await sleep(1000)
  return { plateauMiB: before.median, plateauSpreadMiB: before.spread, peakMiB: peak, afterMiB: rssOf(sut), samples, result }
}

function uploadArgs(ctx: Ctx, target: Started, bytes: number): () => string[] {
  return () => ['upload', `${target.url}/upload`, String(bytes), token(ctx)]
}

/**
 * The same upload through bench/bare-proxy.ts (node:http + undici, nothing else) in front of the
 * same sink: the floor a Node proxy pays for streaming. Returns a note, never fails the row.
 */
async function bareUploadNote(ctx: Ctx, sinkUrl: string, warmBytes: number, bytes: number): Promise<string> {
  const bare = await startBareProxy(ctx, sinkUrl)
  if (typeof bare === 'string') return `bare-proxy reference not available: ${bare}`
  try {
    const warm = await oneStream(ctx, bare.m, uploadArgs(ctx, bare, warmBytes))
    const runs: StreamRun[] = []
    for (let i = 0; i < ctx.opts.runs && warm.result.ok; i++) runs.push(await oneStream(ctx, bare.m, uploadArgs(ctx, bare, bytes)))
    const bad = [warm, ...runs].find((r) => !r.result.ok)
    if (bad !== undefined) return `bare-proxy reference failed: ${bad.result.error ?? bad.result.body ?? `status ${bad.result.status ?? '?'}`}`
    const mbps = runs.map((r) => r.result.bytes / r.result.seconds / 1e6)
    return `reference, same run: bench/bare-proxy.ts (node:http + undici) in front of the same sink: growth ${runs.map((r) => signed(r.peakMiB - r.plateauMiB)).join(' / ')} MiB per stream, 1 s after ${runs.map((r) => signed(r.afterMiB - r.plateauMiB)).join(' / ')} MiB, warm-up ${signed(warm.peakMiB - warm.plateauMiB)} MiB, ${mbps.map((x) => x.toFixed(0)).join(' / ')} MB/s`
  } finally {
    await stopManaged(bare.m)
  }
}

function wsArgs(ctx: Ctx, gw: GatewayStarted, bytes: number, maxSeconds: number): () => string[] {
  return () => ['ws', `${gw.url.replace('http://', 'ws://')}/ws`, String(bytes), String(maxSeconds), token(ctx)]
}

function sizeText(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(bytes % GiB === 0 ? 0 : 2)} GiB` : `${Math.round(bytes / MiB)} MiB`
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(2)}`
}

function streamRow(id: string, title: string, warm: StreamRun, runs: StreamRun[], what: (r: StreamRun) => string): Row {
  const row = newRow(id, title)
  const failed = runs.filter((r) => !r.result.ok)
  if (failed.length > 0) {
    const r = failed[0]!.result
    return unavailable(id, title, `stream failed: ${r.why ?? r.error ?? `status ${r.status ?? '?'}, sink received ${r.received ?? '?'} of ${r.bytes} bytes: ${r.body ?? ''}`}`)
  }
  const growth = runs.map((r) => r.peakMiB - r.plateauMiB)
  const after = runs.map((r) => r.afterMiB - r.plateauMiB)
  const mbps = runs.map((r) => (r.result.mode === 'upload' ? r.result.bytes : (r.result.echoedBytes ?? 0)) / r.result.seconds / 1e6)
  // Strict: the worst stream counts, not the median.
  const worst = Math.max(...growth)
  const warmBytes = warm.result.mode === 'upload' ? warm.result.bytes : (warm.result.echoedBytes ?? 0)
  row.rssMiB = Math.max(...runs.map((r) => r.peakMiB))
  row.extra['peak_growth_max_mib'] = Math.round(worst * 100) / 100
  row.extra['peak_growth_runs_mib'] = growth.map((x) => x.toFixed(2)).join(',')
  row.extra['after_growth_runs_mib'] = after.map((x) => x.toFixed(2)).join(',')
  row.extra['plateau_runs_mib'] = runs.map((r) => r.plateauMiB.toFixed(1)).join(',')
  row.extra['warmup_growth_mib'] = Math.round((warm.peakMiB - warm.plateauMiB) * 100) / 100
  // Does a stream push the process's high-water mark up? RSS that V8 and the allocator give back
  // between streams is taken again by the next one, which the plateau-based number counts as growth.
  let highWater = warm.peakMiB
  const rises = runs.map((r) => {
    const rise = Math.max(0, r.peakMiB - highWater)
    highWater = Math.max(highWater, r.peakMiB)
    return rise
  })
  const maxRise = Math.max(...rises)
  row.extra['high_water_rise_runs_mib'] = rises.map((x) => x.toFixed(2)).join(',')
  row.extra['throughput_mb_s'] = Math.round(median(mbps))
  row.extra['throughput_runs_mb_s'] = mbps.map((x) => x.toFixed(0)).join(',')
  row.notes.push(
    `RSS growth per stream (peak during it − pre-stream plateau): ${growth.map(signed).join(' / ')} MiB (target ≤ ${TARGET_GROWTH_MIB} MiB for every stream ${worst <= TARGET_GROWTH_MIB ? '✓' : '✗'}); 1 s after: ${after.map(signed).join(' / ')} MiB`,
    `peak RSS per stream ${runs.map((r) => r.peakMiB.toFixed(1)).join(' / ')} MiB after a warm-up peak of ${warm.peakMiB.toFixed(1)} MiB: each stream raised the process's high-water mark by ${rises.map(signed).join(' / ')} MiB (≤ ${TARGET_GROWTH_MIB} MiB ${maxRise <= TARGET_GROWTH_MIB ? '✓' : '✗'}; RSS given back between streams and taken again counts as growth in the number above, not here)`,
    `before them a ${sizeText(warmBytes)} warm-up stream on the same process grew RSS ${signed(warm.peakMiB - warm.plateauMiB)} MiB from ${warm.plateauMiB.toFixed(1)} MiB (first-stream high-water of GC'd read buffers, independent of the stream size; see bench/README.md)`,
    `plateau ${runs.map((r) => `${r.plateauMiB.toFixed(1)} (±${(r.plateauSpreadMiB / 2).toFixed(2)})`).join(' / ')} MiB; RSS read from /proc every ${SAMPLE_MS} ms (${runs.map((r) => r.samples).join(' / ')} samples)`,
    `throughput ${mbps.map((x) => x.toFixed(0)).join(' / ')} MB/s${mbps.length > 1 ? ` (median ${median(mbps).toFixed(0)})` : ''}; ${runs.map(what).join('; ')}`,
  )
  return row
}

export async function streamRows(ctx: Ctx, values: Record<string, string | number>, want: { upload: boolean; ws: boolean }): Promise<Row[]> {
  const uploadBytes = ctx.opts.quick ? 128 * MiB : GiB
  const wsBytes = ctx.opts.quick ? 128 * MiB : GiB
  const wsSeconds = ctx.opts.quick ? WS_MAX_SECONDS_QUICK : WS_MAX_SECONDS_FULL
  const warmBytes = ctx.opts.quick ? WARMUP_BYTES_QUICK : WARMUP_BYTES_FULL
  const uploadTitle = `${sizeText(uploadBytes)} upload through a token-gated route, streamed to a counting upstream [all-in-one]`
  const wsTitle = `WebSocket stream through a token-gated upgrade: ${sizeText(wsBytes)} or ${wsSeconds} s of 64 KiB messages echoed [all-in-one]`
  const down = (why: string): Row[] => [...(want.upload ? [unavailable(UPLOAD_ID, uploadTitle, why)] : []), ...(want.ws ? [unavailable(WS_ID, wsTitle, why)] : [])]
  const sink = await startSink(ctx)
  if (typeof sink === 'string') return down(`sink upstream: ${sink}`)
  const gw = await startGateway(ctx, 'gateway-streams', 'streams', { ...values, SINK: sink.url })
  if (typeof gw === 'string') {
    await stopManaged(sink.m)
    return down(`serve all-in-one (streams.yaml): ${gw}`)
  }
  const rows: Row[] = []
  try {
    if (want.upload) {
      const row = await measure(ctx, gw, UPLOAD_ID, uploadTitle, uploadArgs(ctx, gw, warmBytes), uploadArgs(ctx, gw, uploadBytes), (r) => `sink counted ${r.result.received?.toLocaleString('en-US')} bytes in ${r.result.seconds.toFixed(1)} s`)
      if (row.status === 'ok') row.notes.push(await bareUploadNote(ctx, sink.url, warmBytes, uploadBytes))
      rows.push(row)
    }
    if (want.ws) {
      rows.push(
        await measure(ctx, gw, WS_ID, wsTitle, wsArgs(ctx, gw, warmBytes, wsSeconds), wsArgs(ctx, gw, wsBytes, wsSeconds), (r) => `${r.result.messages?.toLocaleString('en-US')} messages (${sizeText(r.result.echoedBytes ?? 0)}) echoed in ${r.result.seconds.toFixed(1)} s, ended by ${r.result.why === 'bytes' ? 'size' : 'time'}`),
      )
    }
  } finally {
    await stopManaged(gw.m)
    await stopManaged(sink.m)
  }
  return rows
}

async function measure(ctx: Ctx, gw: GatewayStarted, id: string, title: string, warm: () => string[], real: () => string[], what: (r: StreamRun) => string): Promise<Row> {
  try {
    // Warm-up stream: loads the code paths (and, for WebSocket, http-proxy-3) and reaches the
    // buffers' high-water mark before the plateau of the first measured stream is read.
    const w = await oneStream(ctx, gw.m, warm)
    if (!w.result.ok) return unavailable(id, title, `warm-up stream failed: ${w.result.why ?? w.result.error ?? `status ${w.result.status ?? '?'}: ${w.result.body ?? ''}`}`)
    process.stderr.write(`bench:   ${id}: warm-up peak ${(w.peakMiB - w.plateauMiB).toFixed(2)} MiB over plateau ${w.plateauMiB.toFixed(1)} MiB\n`)
    const runs: StreamRun[] = []
    for (let i = 0; i < ctx.opts.runs; i++) {
      const r = await oneStream(ctx, gw.m, real)
      runs.push(r)
      process.stderr.write(`bench:   ${id}: ${r.result.ok ? 'ok' : 'FAILED'} peak ${(r.peakMiB - r.plateauMiB).toFixed(2)} MiB over plateau ${r.plateauMiB.toFixed(1)} MiB, ${r.result.seconds.toFixed(1)} s\n`)
      if (!r.result.ok || gw.m.isDead()) break
    }
    const row = streamRow(id, title, w, runs, what)
    if (gw.m.isDead()) row.notes.push('the gateway exited during the run: numbers are suspect')
    return row
  } catch (err) {
    return unavailable(id, title, err instanceof Error ? err.message : String(err))
  }
}
