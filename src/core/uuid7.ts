// Time-ordered UUIDs (RFC 9562 §5.7, version 7) for the ids the Vault stores as B-tree keys: jti,
// request_id, event_uuid. A random UUIDv4 key lands on a random leaf page of every index that holds
// it, so a group commit of N rows dirtied ~N leaf pages per index (one WAL frame each) and the page
// cache missed on most of them; keys that grow with time append to the rightmost leaves, which the
// whole batch shares (docs/design/store.md "Page writes per commit"). These ids are identifiers, not
// secrets (tokens are signed; lookups are authenticated and tenant-scoped), and they stay valid UUIDs
// for clients that parse them.
//
// Layout: 48-bit Unix ms | ver 7 | 12-bit sequence | var 10 | 62 random bits. The sequence starts at a
// random value below 2^11 each millisecond and counts up, so ids from one process are strictly
// increasing (RFC 9562 §6.2 method 1); a clock step backwards keeps the last timestamp until the clock
// catches up, and a millisecond that runs out of sequence (at least 2^11 ids) borrows the next one.
// Web Crypto's getRandomValues (global in Node ≥ 19 and browsers): src/core stays free of node: imports,
// because the browser ledger verifier (src/ledger/browser.ts) reaches this module's index.

/** Random bytes per id: 2 seed the sequence, 8 (minus the two variant bits) are rand_b. */
const ID_BYTES = 10
const POOL_IDS = 256
const pool = new Uint8Array(POOL_IDS * ID_BYTES)
let poolAt = pool.length

const HEX: string[] = []
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'))

let lastMs = 0
let seq = 0

function hex16(v: number): string {
  return HEX[(v >>> 8) & 0xff]! + HEX[v & 0xff]!
}

/** A fresh UUIDv7 in the canonical lowercase 8-4-4-4-12 form. */
export function uuidv7(nowMs: number = Date.now()): string {
  if (poolAt === pool.length) {
    globalThis.crypto.getRandomValues(pool)
    poolAt = 0
  }
  const r = poolAt
  poolAt += ID_BYTES
  if (nowMs > lastMs) {
    lastMs = nowMs
    seq = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff
  } else if (++seq > 0xfff) {
    lastMs++
    seq = ((pool[r]! << 8) | pool[r + 1]!) & 0x7ff
  }
  const ms = lastMs
  // 48-bit ms: high 16 bits and low 32 bits (JS bit ops are 32-bit).
  const high = Math.floor(ms / 0x100000000)
  const low = ms >>> 0
  return (
    hex16(high) +
    hex16(low >>> 16) +
    '-' +
    hex16(low & 0xffff) +
    '-' +
    hex16(0x7000 | seq) +
    '-' +
    HEX[0x80 | (pool[r + 2]! & 0x3f)]! +
    HEX[pool[r + 3]!]! +
    '-' +
    HEX[pool[r + 4]!]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]! +
    HEX[pool[r + 8]!]! +
    HEX[pool[r + 9]!]!
  )
}
