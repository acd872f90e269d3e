// Child processes of a bench run: spawned (optionally pinned with taskset) as their own process
// group, output sent to log files in the run's temp dir, and every one of them killed on the way
// out — normal end, error, SIGINT or SIGTERM — so a run never leaves a stray server behind.
import { execFileSync, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

export interface SpawnOptions {
  /** CPU list for taskset (e.g. "1"); null = not pinned. */
  core: string | null
  env?: NodeJS.ProcessEnv
  cwd?: string
}

export interface Managed {
  name: string
  child: ChildProcess
  pid: number
  logFile: string
  exited: Promise<number | null>
  /** True once the process has exited. */
  isDead(): boolean
  /** Last `bytes` of the combined stdout/stderr log. */
  tail(bytes?: number): string
}

const live = new Set<Managed>()
let hooked = false
let afterSignal: () => void = () => undefined

/** Runs after the children are stopped when a signal interrupts the run (the temp dir's removal). */
export function onInterrupt(cleanup: () => void): void {
  afterSignal = cleanup
}
let tasksetPath: string | null = null

/** Set by the environment probe: taskset is used only when present and nproc ≥ 2. */
export function useTaskset(path: string | null): void {
  tasksetPath = path
}

export function pinningEnabled(): boolean {
  return tasksetPath !== null
}

function killGroup(m: Managed, signal: NodeJS.Signals): void {
  if (m.isDead()) return
  try {
    // Negative pid: the whole group (nginx workers, forked helpers) — we made each child a leader.
    process.kill(-m.pid, signal)
  } catch {
    try {
      process.kill(m.pid, signal)
    } catch {
      // already gone
    }
  }
}

function hookExit(): void {
  if (hooked) return
  hooked = true
  // Synchronous last resort: whatever is still alive when the harness exits gets SIGKILL.
  process.on('exit', () => {
    for (const m of live) killGroup(m, 'SIGKILL')
  })
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nbench: ${signal}, stopping ${live.size} child process(es)\n`)
    stopAll()
      .then(afterSignal)
      .finally(() => process.exit(130))
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  process.once('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? String(err)}\n`)
    stopAll().finally(() => process.exit(1))
  })
}

/** Spawn `cmd args`, pinned when a core is given and taskset is available; output to `logDir/name.log`. */
export function spawnManaged(name: string, cmd: string, args: readonly string[], logDir: string, options: SpawnOptions): Managed {
  hookExit()
  const logFile = join(logDir, `${name}.log`)
  const fd = openSync(logFile, 'a')
  const pinned = options.core !== null && tasksetPath !== null
  const file = pinned ? tasksetPath! : cmd
  const argv = pinned ? ['-c', options.core!, cmd, ...args] : [...args]
  const child = spawn(file, argv, {
    stdio: ['ignore', fd, fd],
    detached: true,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
  })
  closeSync(fd)
  if (child.pid === undefined) throw new Error(`cannot spawn ${cmd}`)
  let dead = false
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      dead = true
      resolve(code ?? (signal === null ? null : 128))
    })
    child.once('error', () => {
      dead = true
      resolve(null)
    })
  })
  const managed: Managed = {
    name,
    child,
    pid: child.pid,
    logFile,
    exited,
    isDead: () => dead,
    tail: (bytes = 2000) => {
      try {
        const text = readFileSync(logFile, 'utf8')
        return text.slice(-bytes)
      } catch {
        return ''
      }
    },
  }
  live.add(managed)
  void exited.then(() => live.delete(managed))
  return managed
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
export async function stopManaged(m: Managed, graceMs = 3000): Promise<void> {
  if (m.isDead()) return
  killGroup(m, 'SIGTERM')
  const timer = setTimeout(() => killGroup(m, 'SIGKILL'), graceMs)
  await m.exited
  clearTimeout(timer)
  // The leader is gone; make sure no group member (an nginx worker) outlives it.
  killGroup(m, 'SIGKILL')
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((m) => stopManaged(m, 2000)))
}

/** A free loopback port: bind port 0, read it, close (a tiny race, acceptable for a bench). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Poll `url` with GET until it answers `status` (default 200); throws with the log tail on exit or timeout. */
export async function waitForHttp(url: string, m: Managed | null, timeoutMs: number, status = 200, intervalMs = 20): Promise<number> {
  const started = performance.now()
  for (;;) {
    if (m !== null && m.isDead()) throw new Error(`${m.name} exited before ${url} was ready: ${lastLines(m.tail())}`)
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await res.arrayBuffer()
      if (res.status === status) return performance.now() - started
    } catch {
      // not listening yet
    }
    if (performance.now() - started > timeoutMs) {
      throw new Error(`${url} not ready after ${timeoutMs} ms${m === null ? '' : `: ${lastLines(m.tail())}`}`)
    }
    await sleep(intervalMs)
  }
}

/**
 * The telling part of a log, on one line, for a "not available: …" note: the first error line and
 * the one after it (a stack's message), else the last few lines.
 */
export function lastLines(text: string, count = 3): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '')
  const at = lines.findIndex((l) => /(^|[^a-z])(Error|error:|ledgix-gateway:)/.test(l) && !l.startsWith('{'))
  const picked = at === -1 ? lines.slice(-count) : lines.slice(at, at + 2)
  return picked.join(' | ').slice(0, 400) || '(no output)'
}

/** VmRSS of one process in KiB from /proc/<pid>/status (Linux); null elsewhere or when gone. */
export function rssKiB(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match === null ? null : Number(match[1])
  } catch {
    return null
  }
}

let clockTicks: number | null = null

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`, 100 on every Linux we run on). */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
    } catch {
      clockTicks = 100
    }
  }
  return clockTicks
}

/** The process ids of a managed child's process group (itself first); just itself off Linux. */
function groupPids(m: Managed): number[] {
  const pids = [m.pid]
  let entries: string[] = []
  try {
    entries = readdirSync('/proc')
  } catch {
    return pids
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57 || Number(entry) === m.pid) continue
    try {
      // Field 5 of /proc/PID/stat is the process group; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === m.pid) pids.push(Number(entry))
    } catch {
      // raced with an exit
    }
  }
  return pids
}

/**
 * CPU seconds (user + system, all threads) used so far by a managed child's process group, from
 * /proc/<pid>/stat; null when unreadable (not Linux, or gone). Differences over a load run give the
 * CPU the system under test spent per request (time a busy host steals is charged too: this VM
 * reports no steal time; bench/README.md "CPU per request").
 */
export function cpuSeconds(m: Managed): number | null {
  let ticks = 0
  for (const pid of groupPids(m)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      // Fields 14 and 15 (utime, stime) are at 11 and 12 once pid and comm are cut off.
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      if (pid === m.pid) return null
    }
  }
  return ticks / ticksPerSecond()
}

/**
 * Resident set size in MiB of a managed child's whole process group (nginx = master + workers;
 * a node process is a group of one), from /proc (Linux); null elsewhere or when gone.
 */
export function rssMiB(m: Managed): number | null {
  let totalKiB = rssKiB(m.pid)
  if (totalKiB === null) return null
  for (const pid of groupPids(m)) if (pid !== m.pid) totalKiB += rssKiB(pid) ?? 0
  return Math.round((totalKiB / 1024) * 10) / 10
}

/** CPU seconds (user + system) of the listed processes that are still there (e.g. PostgreSQL backends). */
export function pidsCpuSeconds(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // exited
    }
  }
  return ticks / ticksPerSecond()
}
