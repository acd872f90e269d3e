// Forcing a full garbage collection in a child node process from the harness, through the Node
// inspector the child was started with (`--inspect=127.0.0.1:<port>`): a leak test has to read
// memory after a collection, and the product has (and should have) no GC hook of its own. The
// client is the smallest one that does this: GET /json/list for the target's WebSocket URL, one
// session, `HeapProfiler.collectGarbage` (V8 runs a full, major collection before it
// answers), close. Loopback only, every step bounded; a failure throws with the reason.
import { readFileSync } from 'node:fs'
import { WebSocket } from 'undici'
import { sleep } from './procs.ts'

const LIST_TIMEOUT_MS = 3000
/** One collection of a heap of a few hundred MiB takes well under a second; this is the ceiling. */
const REPLY_TIMEOUT_MS = 10_000

/**
 * The WebSocket URL node printed when its inspector started ("Debugger listening on ws://…"); read
 * right after start, when the log holds little more than that line. null when node did not print it
 * (the port was taken: node then says so and runs on without an inspector).
 */
export function announcedInspectorUrl(logFile: string, port: number): string | null {
  let text: string
  try {
    text = readFileSync(logFile, 'utf8')
  } catch {
    return null
  }
  const match = new RegExp(`Debugger listening on (ws://127\\.0\\.0\\.1:${port}/\\S+)`).exec(text)
  return match === null ? null : match[1]!
}

/**
 * The inspector target's WebSocket URL on the loopback `port`. With `expected` (the URL the child
 * announced) it must be that one: a port raced away by another process's inspector is refused.
 */
async function debuggerUrl(port: number, expected: string | null): Promise<string> {
  let res: Response
  try {
    res = await fetch(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(LIST_TIMEOUT_MS) })
  } catch (err) {
    // fetch's own message is "fetch failed"; the reason (ECONNREFUSED, timeout) is its cause.
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err)
    throw new Error(`no inspector on 127.0.0.1:${port} (${cause})`)
  }
  if (res.status !== 200) throw new Error(`GET /json/list on 127.0.0.1:${port} answered ${res.status}`)
  const targets = (await res.json()) as Array<{ webSocketDebuggerUrl?: unknown }>
  const urls = Array.isArray(targets) ? targets.map((t) => t.webSocketDebuggerUrl).filter((u) => typeof u === 'string') : []
  const url = expected === null ? urls[0] : urls.find((u) => u === expected)
  if (url === undefined) throw new Error(`inspector target ${expected ?? '(any)'} not listed by 127.0.0.1:${port}/json/list (listed: ${urls.join(', ') || 'none'})`)
  const parsed = new URL(url)
  if (parsed.hostname !== '127.0.0.1' || parsed.port !== String(port)) throw new Error(`inspector target ${url} is not 127.0.0.1:${port}`)
  return url
}

export interface CollectOptions {
  /** The URL the child announced (announcedInspectorUrl); null = whichever target the port lists. */
  expected: string | null
  /** Collections in the session (one collectGarbage is one major GC). */
  times: number
  /** Pause between them, ms. */
  gapMs: number
}

/**
 * Run `times` full collections in the process whose inspector listens on 127.0.0.1:`port`, `gapMs`
 * apart, in one session. Resolves when V8 has answered the last one; throws (and closes the
 * session) on any error, error reply or a reply slower than REPLY_TIMEOUT_MS.
 */
export async function collectGarbage(port: number, options: CollectOptions): Promise<void> {
  const { expected, times, gapMs } = options
  const ws = new WebSocket(await debuggerUrl(port, expected))
  // Replies by id; a message that is not a reply (no event is enabled, so there should be none) is ignored.
  const waiting = new Map<number, { resolve: () => void; reject: (err: Error) => void }>()
  let failure: Error | null = null
  const failAll = (err: Error): void => {
    failure ??= err
    for (const w of waiting.values()) w.reject(failure)
    waiting.clear()
  }
  ws.addEventListener('message', (event) => {
    let reply: { id?: unknown; error?: { message?: unknown } }
    try {
      reply = JSON.parse(String(event.data)) as typeof reply
    } catch {
      return
    }
    const w = typeof reply.id === 'number' ? waiting.get(reply.id) : undefined
    if (w === undefined) return
    waiting.delete(reply.id as number)
    if (reply.error === undefined) w.resolve()
    else w.reject(new Error(`HeapProfiler.collectGarbage failed: ${String(reply.error.message)}`))
  })
  ws.addEventListener('error', () => failAll(new Error(`inspector WebSocket on 127.0.0.1:${port} failed`)))
  ws.addEventListener('close', () => failAll(new Error(`inspector WebSocket on 127.0.0.1:${port} closed before the reply`)))
  const call = (id: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      if (failure !== null) return reject(failure)
      const timer = setTimeout(() => {
        waiting.delete(id)
        reject(new Error(`no reply to HeapProfiler.collectGarbage within ${REPLY_TIMEOUT_MS} ms`))
      }, REPLY_TIMEOUT_MS)
      const settle = (fn: () => void): void => {
        clearTimeout(timer)
        fn()
      }
      waiting.set(id, { resolve: () => settle(resolve), reject: (err) => settle(() => reject(err)) })
      ws.send(JSON.stringify({ id, method: 'HeapProfiler.collectGarbage' }))
    })
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector WebSocket on 127.0.0.1:${port} did not open within ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS)
      ws.addEventListener('open', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.addEventListener('close', () => {
        clearTimeout(timer)
        reject(failure ?? new Error(`inspector WebSocket on 127.0.0.1:${port} closed before it opened`))
      })
    })
    for (let id = 1; id <= times; id++) {
      if (id > 1) await sleep(gapMs)
      await call(id)
    }
  } finally {
    ws.close()
  }
}
