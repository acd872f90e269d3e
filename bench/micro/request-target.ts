// Per-request cost of the issue-16 edge checks on typical inputs: checkPath (the path rule),
// readHost (Host normalisation) and canonicalHeaderName over a typical header block, against the
// regex-based isSafePath-style check they replaced. Prints one JSON line of ns per call.
// Usage: node --import tsx bench/micro/request-target.ts [seconds-per-case=1]   (pin it: taskset -c 1 …)
import { canonicalHeaderName } from '../../src/gateway/header-policy.ts'
import { DEFAULT_PATH_RULES, checkPath, readHost } from '../../src/gateway/request-target.ts'
import type { HostReading } from '../../src/gateway/request-target.ts'

const seconds = Number(process.argv[2] ?? 1)
const PATHS = [
  '/v1/refunds',
  '/v1/customers/cus_9f8e7d6c5b4a/charges',
  '/api/v2/tools/stripe_refund/invoke',
  '/public/assets/app.3f9a1c.js',
  '/v1/search/caf%C3%A9%20au%20lait',
]
const RAW_HEADERS = [
  'Host', 'api.example.com:8080', 'User-Agent', 'ledgix-sdk/1.4', 'Accept', 'application/json',
  'Content-Type', 'application/json', 'Content-Length', '42', 'Authorization', 'Bearer x.y.z',
  'traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'X_Custom_Header', 'v',
]

let sink = 0

/**
 * ns of this process's CPU time per call of fn over `inputs`, batches of 1024 between clock reads.
 * CPU time, not wall time: on a shared host the wall clock also counts time spent descheduled.
 */
function nsPerCall<T>(inputs: readonly T[], fn: (input: T) => number): number {
  for (let i = 0; i < 100_000; i++) sink += fn(inputs[i % inputs.length]!)
  let count = 0
  const started = cpuMicros()
  let elapsedUs = 0
  while (elapsedUs < seconds * 1e6) {
    for (let i = 0; i < 1024; i++) sink += fn(inputs[i % inputs.length]!)
    count += 1024
    elapsedUs = cpuMicros() - started
  }
  return Math.round(((elapsedUs * 1e3) / count) * 10) / 10
}

function cpuMicros(): number {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

const reading: HostReading = { host: null, authority: null, hostValid: true }
const result = {
  // The loop and call overhead alone; subtract it from the rows below.
  baseline_ns: nsPerCall(PATHS, (p) => p.length),
  // A bare charCodeAt pass over the same paths: the floor any per-character check pays.
  charLoop_ns: nsPerCall(PATHS, (p) => {
    let n = 0
    for (let i = 0; i < p.length; i++) n += p.charCodeAt(i)
    return n
  }),
  checkPath_ns: nsPerCall(PATHS, (p) => (checkPath(p, DEFAULT_PATH_RULES) === null ? 1 : 0)),
  readHost_ns: nsPerCall([RAW_HEADERS], (raw) => {
    reading.hostValid = true
    readHost(raw, reading, 80)
    return reading.hostValid ? 1 : 0
  }),
  canonicalHeaderNames_ns: nsPerCall([RAW_HEADERS], (raw) => {
    let n = 0
    for (let i = 0; i < raw.length; i += 2) n += canonicalHeaderName(raw[i]!).length
    return n
  }),
  // The pre-issue-16 style: lowercase, replaceAll, split, for comparison.
  previousSplitCheck_ns: nsPerCall(PATHS, (p) => {
    const lower = p.toLowerCase()
    if (lower.includes('%2f') || lower.includes('%5c')) return 0
    for (const s of lower.replaceAll('%2e', '.').split('/')) if (s === '.' || s === '..') return 0
    return 1
  }),
}
process.stdout.write(JSON.stringify({ ...result, sink: sink > 0 }) + '\n')
