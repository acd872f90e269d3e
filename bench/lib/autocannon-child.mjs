// autocannon in its own (pinnable) process, for machines without wrk. Reads one JSON spec from
// argv[2] — { url, connections, durationSec, method, headers, bodyFile, tokensFile, tokenMode } —
// and prints one "BENCHJSON {...}" line with the same fields as bench/wrk/report.lua.
import { readFileSync } from 'node:fs'
import autocannon from 'autocannon'

const spec = JSON.parse(process.argv[2])
const body = spec.bodyFile ? readFileSync(spec.bodyFile, 'utf8') : undefined
const tokens = spec.tokensFile ? readFileSync(spec.tokensFile, 'utf8').split('\n').filter((l) => l !== '') : null
let next = 0
let exhausted = 0

function takeToken() {
  if (next < tokens.length) return tokens[next++]
  // autocannon cannot stop one connection; the reused token is refused and shows as non-2xx.
  exhausted = 1
  return tokens[tokens.length - 1] ?? 'exhausted'
}

function setupRequest(req) {
  if (spec.tokenMode === 'consume') {
    req.body = '{"token":"' + takeToken() + '"}'
    req.headers = { ...req.headers, 'content-type': 'application/json' }
  } else {
    req.headers = { ...req.headers, authorization: 'Bearer ' + takeToken() }
  }
  return req
}

const options = {
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSec,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  ...(body === undefined ? {} : { body }),
  ...(tokens === null ? {} : { requests: [{ setupRequest }] }),
}

const result = await autocannon(options)
const toUs = (ms) => Math.round(ms * 1000)
const out = {
  requests: result.requests.total,
  duration_us: Math.round(result.duration * 1e6),
  bytes: result.throughput.total,
  connect: 0,
  read: result.errors,
  write: 0,
  status: result.non2xx,
  timeout: result.timeouts,
  p50_us: toUs(result.latency.p50),
  p99_us: toUs(result.latency.p99),
  mean_us: toUs(result.latency.average),
  max_us: toUs(result.latency.max),
  exhausted,
}
process.stdout.write('BENCHJSON ' + JSON.stringify(out) + '\n')
