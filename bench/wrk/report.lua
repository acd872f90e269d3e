-- Shared by static.lua and tokens.lua (loaded with dofile from $BENCH_WRK_DIR): numbers each
-- thread, and in done() prints one "BENCHJSON {...}" line — request count, errors, latency
-- percentiles in microseconds, exhausted token slices — that bench/lib/loadgen.ts parses.

local threads = {}
local counter = 0
exhausted = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function readFile(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

function done(summary, latency, requests)
  local ex = 0
  for _, t in ipairs(threads) do ex = ex + (tonumber(t:get("exhausted")) or 0) end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d,"exhausted":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean, latency.max, ex))
end
