// The environment of a bench run: which load generator and reference servers exist (installing
// wrk and nginx from Debian's packages when missing, running as root with apt available), whether
// taskset can pin, and the machine facts recorded next to the numbers.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { join } from 'node:path'

export interface Placement {
  /** Core of the system under test (gateway, proxies, nginx, Vault). */
  sut: string | null
  /** Core of the load generator and the upstream. */
  load: string | null
  /** Human description for the results table. */
  description: string
}

export interface Environment {
  wrk: string | null
  nginx: string | null
  taskset: string | null
  loadGenerator: 'wrk' | 'autocannon'
  placement: Placement
  machine: { cpuModel: string; nproc: number; memoryGiB: number; node: string; platform: string; kernel: string }
  /** Lines describing what the probe did (install attempts and their outcome). */
  log: string[]
}

function which(cmd: string): string | null {
  const result = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' })
  const path = result.stdout.trim()
  if (result.status === 0 && path !== '') return path
  // Debian puts nginx in /usr/sbin, which a non-login PATH may lack.
  for (const dir of ['/usr/sbin', '/usr/local/sbin', '/sbin']) if (existsSync(join(dir, cmd))) return join(dir, cmd)
  return null
}

const INSTALL_TIMEOUT_MS = 240_000

/** `apt-get install -y wrk nginx-light` (one `apt-get update` retry); every step is printed. */
function aptInstall(packages: string[], log: (line: string) => void): void {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  if (!isRoot) {
    log(`not root: cannot install ${packages.join(', ')}; install them yourself (apt-get install ${packages.join(' ')})`)
    return
  }
  if (which('apt-get') === null) {
    log(`no apt-get: cannot install ${packages.join(', ')}`)
    return
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const args = ['install', '-y', '--no-install-recommends', ...packages]
  for (const attempt of [1, 2]) {
    log(`running: apt-get ${args.join(' ')}`)
    const result = spawnSync('apt-get', args, { env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS })
    if (result.status === 0) {
      log(`installed ${packages.join(', ')}`)
      return
    }
    log(`apt-get install failed (exit ${result.status ?? 'timeout'}): ${(result.stderr ?? '').trim().split('\n').slice(-1)[0] ?? ''}`)
    if (attempt === 2) return
    log('running: apt-get update')
    spawnSync('apt-get', ['update'], { env, encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS })
  }
}

function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8')
    const match = /^model name\s*:\s*(.+)$/m.exec(info)
    if (match !== null) return match[1]!.trim()
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown'
}

function kernel(): string {
  try {
    return execFileSync('uname', ['-sr'], { encoding: 'utf8' }).trim()
  } catch {
    return process.platform
  }
}

export function probeEnvironment(options: { install: boolean; forceAutocannon: boolean }): Environment {
  const log: string[] = []
  const say = (line: string): void => {
    log.push(line)
    process.stderr.write(`bench: ${line}\n`)
  }
  let wrk = which('wrk')
  let nginx = which('nginx')
  const missing = [...(wrk === null ? ['wrk'] : []), ...(nginx === null ? ['nginx-light'] : [])]
  if (missing.length > 0) {
    if (options.install) aptInstall(missing, say)
    else say(`missing ${missing.join(', ')} (--no-install given)`)
    wrk = which('wrk')
    nginx = which('nginx')
  }
  const nproc = availableParallelism()
  const taskset = nproc >= 2 ? which('taskset') : null
  const placement: Placement =
    taskset === null
      ? { sut: null, load: null, description: nproc < 2 ? 'not pinned (1 CPU)' : 'not pinned (no taskset)' }
      : { sut: '1', load: '0', description: 'taskset: system under test on core 1; load generator and upstream on core 0' }
  const loadGenerator = wrk !== null && !options.forceAutocannon ? 'wrk' : 'autocannon'
  say(`load generator: ${loadGenerator}${wrk === null ? ' (wrk not available)' : ''}; nginx: ${nginx ?? 'not available'}; ${placement.description}`)
  return {
    wrk,
    nginx,
    taskset,
    loadGenerator,
    placement,
    machine: {
      cpuModel: cpuModel(),
      nproc,
      memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      kernel: kernel(),
    },
    log,
  }
}
