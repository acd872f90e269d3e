// PostgreSQL's own CPU for the bench: the server processes serving the system under test, read from
// /proc (the server runs on this machine). Each pool the bench starts names itself with a distinct
// `application_name` (a query parameter of its URL), so only its backends are counted — the server is
// shared with other jobs. What a backend does for us (parse, plan, execute, WAL insert, and the WAL
// flush at COMMIT when the backend does it itself) is charged; the shared background processes
// (walwriter, checkpointer, background writer) are reported separately as `background`: they work for
// every client of the server, so on a shared server that is an upper bound of our share.
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

/** Process ids of the server's background writers (their CPU serves every client). */
export async function pgBackgroundPids(adminUrl: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: adminUrl })
  await c.connect()
  try {
    const r = await c.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE backend_type IN ('walwriter', 'checkpointer', 'background writer')")
    return r.rows.map((x) => x.pid)
  } finally {
    await c.end()
  }
}

/** CPU seconds so far of the tagged backends and of the server's background writers; null off Linux. */
export async function pgCpuSeconds(adminUrl: string, tagPrefix: string): Promise<{ backends: number; background: number } | null> {
  if (process.platform !== 'linux') return null
  const [backends, background] = await Promise.all([pgBackendPids(adminUrl, tagPrefix), pgBackgroundPids(adminUrl)])
  return { backends: pidsCpuSeconds(backends), background: pidsCpuSeconds(background) }
}
