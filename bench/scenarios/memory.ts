// Memory and start-up: the gateway's RSS with 1,000 idle keep-alive connections, its RSS after all
// the requests of the run against it, and cold start (spawn → /readyz 200 on the admin port).
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import type { Ctx } from '../lib/measure.ts'
import { rssMiB, sleep, stopManaged } from '../lib/procs.ts'
import { median, newRow, unavailable } from '../lib/report.ts'
import type { Row } from '../lib/report.ts'
import { startGateway } from '../lib/stack.ts'
import type { GatewayStarted } from '../lib/stack.ts'
import type { Template } from '../lib/configs.ts'

export const IDLE_ID = 'memory-idle-connections'
export const AFTER_ID = 'memory-after-requests'
export const COLD_ID = 'cold-start'

const IDLE_CONNECTIONS = 1000
/** Connections opened at once: below the default listen backlog (511) so none is refused. */
const OPEN_BATCH = 100
const RSS_TARGET_MIB = 150

/** Open one keep-alive connection, complete one request on it, leave it idle. */
function openIdle(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    socket.setTimeout(10_000, () => socket.destroy(new Error('idle connection setup timed out')))
    socket.once('error', reject)
    socket.once('connect', () => socket.write(`GET /pass HTTP/1.1\r\nHost: ${host}\r\n\r\n`))
    socket.once('data', () => {
      socket.setTimeout(0)
      socket.removeListener('error', reject)
      socket.on('error', () => undefined)
      resolve(socket)
    })
  })
}

export async function measureIdleConnections(ctx: Ctx, gw: GatewayStarted): Promise<Row> {
  const title = `RSS at ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle keep-alive connections [${gw.mode}]`
  const { hostname, port } = new URL(gw.url)
  const before = rssMiB(gw.m)
  const sockets: Socket[] = []
  try {
    while (sockets.length < IDLE_CONNECTIONS) {
      const batch = Math.min(OPEN_BATCH, IDLE_CONNECTIONS - sockets.length)
      sockets.push(...(await Promise.all(Array.from({ length: batch }, () => openIdle(hostname, Number(port))))))
    }
    // Let the gateway settle (GC of the request objects) before reading RSS.
    await sleep(500)
    const row = newRow(IDLE_ID, title)
    row.rssMiB = rssMiB(gw.m)
    const open = sockets.filter((s) => !s.destroyed && s.readyState === 'open').length
    row.extra['rss_before_mib'] = before ?? 'n/a'
    row.extra['open_connections'] = open
    row.extra['requests'] = sockets.length
    row.notes.push(
      `RSS ${before ?? '?'} → ${row.rssMiB ?? '?'} MiB with ${open} idle connections open (target ≤ ${RSS_TARGET_MIB} MiB ${row.rssMiB !== null && row.rssMiB <= RSS_TARGET_MIB ? '✓' : '✗'})`,
    )
    return row
  } catch (err) {
    return unavailable(IDLE_ID, title, err instanceof Error ? err.message : String(err))
  } finally {
    for (const s of sockets) s.destroy()
  }
}

/** RSS at the end of the run against this gateway, against its RSS right after /readyz. */
export function rssAfterRequests(gw: GatewayStarted, readyRss: number | null, requests: number): Row {
  const row = newRow(AFTER_ID, `RSS after ${requests.toLocaleString('en-US')} requests [${gw.mode}]`)
  row.rssMiB = rssMiB(gw.m)
  row.extra['requests'] = requests
  row.extra['rss_ready_mib'] = readyRss ?? 'n/a'
  const growth = row.rssMiB !== null && readyRss !== null ? row.rssMiB - readyRss : null
  row.notes.push(
    `RSS at ready ${readyRss ?? '?'} MiB → ${row.rssMiB ?? '?'} MiB after every scenario against this process (growth ${growth === null ? '?' : growth.toFixed(1)} MiB; informational: the issue's "no growth over 1,000,000 requests" is judged by the memory-soak row)`,
  )
  return row
}

/** Start and stop a fresh gateway `runs` times (new data dir each time); median spawn → /readyz 200. */
export async function measureColdStart(ctx: Ctx, template: Template, values: Record<string, string | number>, entry: string): Promise<Row> {
  const title = `cold start to /readyz 200 [${template}]`
  const times: number[] = []
  for (let i = 0; i < Math.max(ctx.opts.runs, 3); i++) {
    const gw = await startGateway(ctx, `cold-${template}-${i + 1}`, template, values)
    if (typeof gw === 'string') return unavailable(COLD_ID, title, gw)
    times.push(gw.readyMs)
    await stopManaged(gw.m)
  }
  const row = newRow(COLD_ID, title)
  const ms = median(times)
  row.extra['cold_start_ms'] = ms
  row.extra['cold_start_runs_ms'] = times.map((t) => t.toFixed(0)).join(',')
  row.notes.push(`median ${ms.toFixed(0)} ms over ${times.length} starts (target ≤ 500 ms ${ms <= 500 ? '✓' : '✗'}); ${entry}; fresh data dir each start; includes node start-up`)
  return row
}
