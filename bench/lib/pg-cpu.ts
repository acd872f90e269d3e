// PostgreSQL's own CPU for the bench: the server processes serving the system under test, read from
// /proc (the server runs on this machine). Each pool the bench starts names itself with a distinct
// `application_name` (a query parameter of its URL), so only its backends are counted — the server is
// shared with other jobs. What a backend does for us (parse, plan, execute, WAL insert, and the WAL
// flush at COMMIT when the backend does it itself) is charged; the shared background processes
// (walwriter, checkpointer, bgwriter) are not, and are reported separately as `server` (every process
// named postgres: includes other clients' work, so it is an upper bound on a busy machine).
import { readFileSync, readdirSync } from 'node:fs'
import pg from 'pg'
import { pidsCpuSeconds } from './procs.ts'

/** The URL with `application_name=<tag>` added (pg's connection-string parser passes it to the server). */
export function taggedPgUrl(url: string, tag: string): string {
  const u = new URL(url)
  u.searchParams.set('application_name', tag)
  return u.toString()
}

/** Backend process ids whose application_name starts with `tagPrefix`. */
export async function pgBackendPids(adminUrl: string, tagPrefix: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE starts_with(application_name, $1)', [tagPrefix])
    return r.rows.map((x) => x.pid)
  } finally {
    await c.end()
  }
}

/** Every process whose command is `postgres` (the server and all its backends), or [] off Linux. */
export function postgresServerPids(): number[] {
  const out: number[] = []
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    return out
  }
  for (const e of entries) {
    if (e.charCodeAt(0) < 48 || e.charCodeAt(0) > 57) continue
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === 'postgres') out.push(Number(e))
    } catch {
      // raced with an exit
    }
  }
  return out
}

/** CPU seconds so far of the tagged backends and of the whole server; null off Linux. */
export async function pgCpuSeconds(adminUrl: string, tagPrefix: string): Promise<{ backends: number; server: number } | null> {
  const server = postgresServerPids()
  if (server.length === 0) return null
  const backends = await pgBackendPids(adminUrl, tagPrefix)
  return { backends: pidsCpuSeconds(backends), server: pidsCpuSeconds(server) }
}
