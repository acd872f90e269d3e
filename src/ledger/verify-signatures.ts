// Receipt signatures of sealed rows checked on worker threads (full verification only): Ed25519
// verification is ~10x the rest of a row's checks, so the main thread hashes and rebuilds the tree
// while a small pool verifies signatures in order-tagged batches. Memory stays bounded (a few
// batches in flight) and the caller learns the EARLIEST failing row, never whichever finished first.
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'

/** Rows per message to a worker: large enough that posting costs nothing next to 128 verifications. */
const BATCH_ROWS = 128
/** Batches in flight per worker before push() waits: keeps every worker busy, memory bounded. */
const INFLIGHT_PER_WORKER = 3
/** More workers than this gain nothing here: the main thread's share of a row becomes the limit. */
const MAX_WORKERS = 8

/** Workers for a full pass: one per available core (affinity-aware), none on a single core. */
export function defaultSignatureWorkers(): number {
  const cores = availableParallelism()
  return cores <= 1 ? 0 : Math.min(cores, MAX_WORKERS)
}

// DER prefix of an Ed25519 SPKI (RFC 8410), as node-crypto.ts uses.
const SPKI_PREFIX = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]

// Evaluated from source, so the esbuild bundle needs no second entry file (as the WAL checkpointer's
// worker). It does what nodeLedgerCrypto.verifyEd25519 does: node:crypto verify, false for a
// signature that is not 64 bytes or for anything that throws. One job per row:
//   u16 key index | u8 signature length | u32 payload length | signature | payload
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const { createPublicKey, verify } = require('node:crypto')
const prefix = Buffer.from(workerData.spkiPrefix)
const keys = workerData.keys.map((raw) => createPublicKey({ key: Buffer.concat([prefix, Buffer.from(raw)]), format: 'der', type: 'spki' }))
parentPort.on('message', (m) => {
  const bytes = new Uint8Array(m.buf)
  const view = new DataView(m.buf)
  let at = 0
  let bad = -1
  for (let i = 0; i < m.count; i++) {
    const key = keys[view.getUint16(at)]
    const sigLength = bytes[at + 2]
    const payloadLength = view.getUint32(at + 3)
    at += 7
    const signature = bytes.subarray(at, at + sigLength)
    const payload = bytes.subarray(at + sigLength, at + sigLength + payloadLength)
    at += sigLength + payloadLength
    let ok = false
    try {
      ok = key !== undefined && sigLength === 64 && verify(null, payload, key, signature)
    } catch {}
    if (!ok) {
      bad = i
      break
    }
  }
  parentPort.postMessage({ id: m.id, bad })
})
`

interface Pending<S> {
  readonly result: Promise<number>
  readonly snapshots: readonly S[]
}

class Batch<S> {
  buf = new Uint8Array(16 * 1024)
  view = new DataView(this.buf.buffer)
  length = 0
  readonly snapshots: S[] = []

  add(keyIndex: number, signature: Uint8Array, payload: Uint8Array, payloadLength: number, snapshot: S): void {
    const need = this.length + 7 + signature.length + payloadLength
    if (need > this.buf.length) {
      const grown = new Uint8Array(Math.max(need, this.buf.length * 2))
      grown.set(this.buf.subarray(0, this.length))
      this.buf = grown
      this.view = new DataView(grown.buffer)
    }
    this.view.setUint16(this.length, keyIndex)
    this.buf[this.length + 2] = signature.length
    this.view.setUint32(this.length + 3, payloadLength)
    this.length += 7
    this.buf.set(signature, this.length)
    this.length += signature.length
    this.buf.set(payload.subarray(0, payloadLength), this.length)
    this.length += payloadLength
    this.snapshots.push(snapshot)
  }
}

class SignatureWorker {
  readonly #worker: Worker
  readonly #waiting = new Map<number, { resolve: (bad: number) => void; reject: (err: Error) => void }>()
  #failure: Error | null = null

  constructor(keys: readonly Uint8Array[]) {
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { spkiPrefix: SPKI_PREFIX, keys: keys.map((k) => Array.from(k)) } })
    this.#worker.unref()
    this.#worker.on('message', (m: { id: number; bad: number }) => {
      const w = this.#waiting.get(m.id)
      this.#waiting.delete(m.id)
      w?.resolve(m.bad)
    })
    this.#worker.on('error', (err) => this.#fail(err))
    this.#worker.on('exit', () => this.#fail(new Error('a ledger signature worker exited')))
  }

  verify(id: number, buf: ArrayBuffer, count: number): Promise<number> {
    if (this.#failure !== null) return Promise.reject(this.#failure)
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject })
      this.#worker.postMessage({ id, buf, count }, [buf])
    })
  }

  #fail(err: Error): void {
    this.#failure ??= err
    for (const w of this.#waiting.values()) w.reject(err)
    this.#waiting.clear()
  }

  async close(): Promise<void> {
    this.#worker.removeAllListeners('exit')
    await this.#worker.terminate()
  }
}

/**
 * Sealed rows' signature checks in row order. Each job carries a snapshot S of the caller's state
 * at that row, returned for the earliest failing row so the caller can report it exactly.
 */
export class ReceiptSignatureQueue<S> {
  readonly #keyIndex = new Map<string, number>()
  readonly #keys: Uint8Array[] = []
  readonly #size: number
  readonly #batchRows: number
  readonly #workers: SignatureWorker[] = []
  readonly #inflight: Pending<S>[] = []
  #batch = new Batch<S>()
  #ids = 0
  #firstBad: S | null = null

  /** `batchRows` other than the default is for tests (many batches from few rows). */
  constructor(keys: ReadonlyMap<string, Uint8Array>, workers: number, batchRows = BATCH_ROWS) {
    for (const [kid, key] of keys) {
      this.#keyIndex.set(kid, this.#keys.length)
      this.#keys.push(key)
    }
    this.#size = Math.max(1, workers)
    this.#batchRows = batchRows
  }

  /** The earliest failing row found so far among completed batches (they complete in order). */
  get firstBad(): S | null {
    return this.#firstBad
  }

  /**
   * Queue one row: the signature under the key `keyId` (already known to be published) over
   * payload[0, payloadLength), both copied now. Resolves at once unless too many batches are in
   * flight, then after the oldest completes (check firstBad afterwards).
   */
  push(keyId: string, signature: Uint8Array, payload: Uint8Array, payloadLength: number, snapshot: S): Promise<void> | null {
    // The key was looked up by kid before; an unknown kid (impossible) verifies as index 0xffff → false.
    this.#batch.add(this.#keyIndex.get(keyId) ?? 0xffff, signature, payload, payloadLength, snapshot)
    if (this.#batch.snapshots.length < this.#batchRows) return null
    this.#dispatch()
    return this.#inflight.length >= this.#size * INFLIGHT_PER_WORKER ? this.#settleOldest() : null
  }

  /** Wait for every queued row; the snapshot of the earliest failing one, or null. */
  async firstFailure(): Promise<S | null> {
    if (this.#batch.snapshots.length > 0) this.#dispatch()
    while (this.#inflight.length > 0) await this.#settleOldest()
    return this.#firstBad
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.close()))
  }

  #dispatch(): void {
    const batch = this.#batch
    this.#batch = new Batch<S>()
    if (this.#workers.length === 0) for (let i = 0; i < this.#size; i++) this.#workers.push(new SignatureWorker(this.#keys))
    const id = this.#ids++
    const buf = batch.buf.buffer.slice(0, batch.length) as ArrayBuffer
    const result = this.#workers[id % this.#workers.length]!.verify(id, buf, batch.snapshots.length)
    // Marked handled now: a dead worker rejects every batch at once, and only the oldest is awaited.
    result.catch(() => undefined)
    this.#inflight.push({ result, snapshots: batch.snapshots })
  }

  async #settleOldest(): Promise<void> {
    const oldest = this.#inflight.shift()!
    const bad = await oldest.result
    if (bad >= 0 && this.#firstBad === null) this.#firstBad = oldest.snapshots[bad]!
  }
}
