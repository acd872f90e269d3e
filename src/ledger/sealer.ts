// The background sealer: takes each tenant's unsealed events in append order, assigns leaf indexes,
// stores the complete-subtree nodes they finish and a signed checkpoint chained to the previous one —
// all in one durable write, so a crash at any point leaves either the old tree or the new one, and a
// restart simply continues from the store. Batches close by size (kick) or age (the interval tick).
// Before extending a tenant's tree it checks what it builds on (the stored frontier recomputes the
// head checkpoint's root; the leaves are well-formed): on a break it seals nothing for that tenant
// (fail closed), reports the break once and retries at later ticks.
import type { TenantId } from '../core/index.ts'
import type { Clock } from '../core/index.ts'
import type { LedgerCheckpointRecord, Store } from '../store/index.ts'
import { bytesToHex, digestFromHex } from './bytes.ts'
import { GENESIS_PREV_CHECKPOINT_HASH, signCheckpoint } from './checkpoint.ts'
import type { LedgerHasher, LedgerSigner } from './crypto.ts'
import { appendLeaves, rootFromNodes } from './merkle/nodes.ts'
import type { NodeReader } from './merkle/nodes.ts'
import { loadNodesFor } from './store-nodes.ts'

export interface SealerOptions {
  store: Store
  clock: Clock
  hasher: LedgerHasher
  /** The active signing key; null pauses sealing (nothing can be signed). */
  signer: () => LedgerSigner | null
  /** Most events per checkpoint. */
  batchSize: number
  /** Longest an appended event waits for its checkpoint (plus one seal's duration). */
  intervalMs: number
  /** Promised maximum merge delay, signed into every checkpoint. */
  mmdSeconds: number
  /** Called with failures of a background seal (logged by the owner); the sealer retries next tick. */
  onError: (err: unknown) => void
  /**
   * Several processes share the store (PostgreSQL replicas): seal only while this returns true (the
   * store fences each seal as well), and find other replicas' appends by scanning the store for
   * unsealed rows at every tick. Absent: this process is the only writer and always seals.
   */
  leader?: () => boolean
  /**
   * Called once per distinct break the sealer finds in what it would build on (the owner logs it at
   * error level and raises ledger.verification_failed). The tenant stays unsealed; later ticks
   * check again, silently while the same break persists.
   */
  onBreak?: (tenantId: TenantId, detail: string, identity: string) => void
}

/** What the sealer found wrong in a tenant's stored tree: nothing is sealed on top of it. */
export class LedgerBreakError extends Error {
  readonly tenantId: TenantId
  /** Stable while the break persists (its kind and position), unlike the message. */
  readonly identity: string
  constructor(tenantId: TenantId, identity: string, message: string) {
    super(message)
    this.name = 'LedgerBreakError'
    this.tenantId = tenantId
    this.identity = identity
  }
}

export class LedgerSealer {
  readonly #o: SealerOptions
  /** Tenants with appends not yet sealed, with a count since their last seal (approximate). */
  readonly #pending = new Map<TenantId, number>()
  #timer: NodeJS.Timeout | null = null
  #running: Promise<void> | null = null
  #again = false
  #scanning = false
  /** The break last reported per tenant, so a persisting one is reported once. */
  readonly #breaks = new Map<TenantId, string>()
  /** Checkpoints written by this sealer (tests and metrics). */
  checkpoints = 0

  constructor(options: SealerOptions) {
    this.#o = options
  }

  get intervalMs(): number {
    return this.#o.intervalMs
  }

  /** Whether this process seals now (always, unless an election among replicas says otherwise). */
  get isLeader(): boolean {
    return this.#o.leader === undefined || this.#o.leader()
  }

  /** Pick up whatever a previous run left unsealed, then tick every interval. */
  async start(): Promise<void> {
    for (const tenantId of await this.#o.store.listTenantsWithUnsealed()) this.#pending.set(tenantId, 1)
    this.#timer = setInterval(tickSealer, this.#o.intervalMs, this, this.#o.leader !== undefined)
    this.#timer.unref()
    if (this.#pending.size > 0) this.kick()
  }

  /** An event of `tenantId` is durable: seal at the next tick, or now when a batch is full. */
  notify(tenantId: TenantId): void {
    if (!this.isLeader) return // the leader finds the row by its scan
    const count = (this.#pending.get(tenantId) ?? 0) + 1
    this.#pending.set(tenantId, count)
    if (count >= this.#o.batchSize) this.kick()
  }

  /** Start a sealing pass unless one is running (then it runs once more when done). */
  kick(): void {
    if (this.#pending.size === 0) return
    if (this.#running !== null) {
      this.#again = true
      return
    }
    this.#running = this.#drain().finally(() => {
      this.#running = null
      if (this.#again) {
        this.#again = false
        this.kick()
      }
    })
  }

  /** Seal everything pending now and wait for it (tests; close). */
  async flush(): Promise<void> {
    if (!this.isLeader) {
      // Another replica seals: its scan picks up every unsealed row within one interval.
      await new Promise((resolve) => setTimeout(resolve, 2 * this.#o.intervalMs))
      return
    }
    while (this.#running !== null) await this.#running
    this.kick()
    while (this.#running !== null) await this.#running
  }

  /** Stop ticking, then seal what is pending so a clean shutdown leaves nothing unsealed. */
  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    if (this.isLeader) await this.flush()
  }

  /** Tick of a replica: while leading, queue every tenant with unsealed rows (any replica's), then seal. */
  async scan(): Promise<void> {
    if (this.#scanning || !this.isLeader) return
    this.#scanning = true
    try {
      for (const tenantId of await this.#o.store.listTenantsWithUnsealed()) if (!this.#pending.has(tenantId)) this.#pending.set(tenantId, 1)
    } catch (err) {
      this.#o.onError(err)
    } finally {
      this.#scanning = false
    }
    this.kick()
  }

  async #drain(): Promise<void> {
    if (!this.isLeader) {
      // A follower keeps nothing pending: when it leads, its scan finds what is unsealed.
      this.#pending.clear()
      return
    }
    for (const tenantId of [...this.#pending.keys()]) {
      this.#pending.delete(tenantId)
      try {
        // Full batches back to back; the remainder (shorter than a batch) is sealed too: it has
        // waited at most one interval, which is the age bound.
        while ((await this.sealBatch(tenantId)) === this.#o.batchSize) {
          /* keep going */
        }
        this.#breaks.delete(tenantId)
      } catch (err) {
        this.#pending.set(tenantId, this.#pending.get(tenantId) ?? 1)
        if (err instanceof LedgerBreakError) this.#reportBreak(err)
        else this.#o.onError(err)
      }
    }
  }

  #reportBreak(err: LedgerBreakError): void {
    if (this.#breaks.get(err.tenantId) === err.identity) return
    this.#breaks.set(err.tenantId, err.identity)
    if (this.#o.onBreak === undefined) this.#o.onError(err)
    else this.#o.onBreak(err.tenantId, err.message, err.identity)
  }

  /** Seal up to one batch of `tenantId`; returns how many events it sealed (0: none or lost a race). */
  async sealBatch(tenantId: TenantId): Promise<number> {
    const o = this.#o
    if (!this.isLeader) return 0
    const signer = o.signer()
    if (signer === null) throw new Error('ledger sealer: no active signing key; events stay unsealed until one is configured')
    const head = await o.store.getLatestLedgerCheckpoint(tenantId)
    const unsealed = await o.store.listUnsealedLeaves(tenantId, o.batchSize)
    if (unsealed.length === 0) return 0
    const treeSize = head?.treeSize ?? 0
    const leaves = unsealed.map((u) => {
      const leaf = digestFromHex(u.leafHash)
      if (leaf === undefined) {
        throw new LedgerBreakError(tenantId, `leaf_hash:${u.rowSeq}`, `ledger row ${u.rowSeq} of tenant ${tenantId} has a malformed leaf_hash; sealing stopped for this tenant; run "ledger verify"`)
      }
      return leaf
    })
    const nodes = await loadNodesFor(o.store, tenantId, (reader) => appendLeaves(reader, treeSize, [], o.hasher))
    if (head !== null) checkHead(tenantId, head, nodes, o.hasher)
    const created = appendLeaves(nodes, treeSize, leaves, o.hasher)
    nodes.put(created)
    const newSize = treeSize + leaves.length
    const fields = {
      tree_size: newSize,
      root_hash: bytesToHex(rootFromNodes(nodes, newSize, o.hasher)),
      prev_checkpoint_hash: head?.checkpointHash ?? GENESIS_PREV_CHECKPOINT_HASH,
      signed_at: new Date(o.clock.now()).toISOString(),
      mmd_seconds: o.mmdSeconds,
      export_target: '',
    }
    const signed = signCheckpoint(fields, signer, o.hasher)
    const checkpoint: LedgerCheckpointRecord = {
      tenantId,
      checkpointId: (head?.checkpointId ?? 0) + 1,
      treeSize: newSize,
      rootHash: fields.root_hash,
      checkpointHash: signed.checkpoint_hash,
      prevCheckpointHash: fields.prev_checkpoint_hash,
      signedAt: fields.signed_at,
      signatureAlgorithm: signed.signature_algorithm,
      signerKeyId: signed.signer_key_id,
      checkpointPayload: signed.checkpoint_payload,
      checkpointSignature: signed.checkpoint_signature,
      mmdSeconds: fields.mmd_seconds,
      exportTarget: fields.export_target,
    }
    const result = await o.store.write([
      {
        op: 'ledger_seal',
        tenantId,
        checkpoint,
        leaves: unsealed.map((u, i) => ({ rowSeq: u.rowSeq, leafIndex: treeSize + i })),
        nodes: created,
      },
    ])
    if (!result.ok) return 0 // another sealer extended the tree first: the next pass starts from its head
    this.checkpoints++
    return leaves.length
  }
}

/**
 * The stored frontier must recompute the head checkpoint's root: otherwise a node or the checkpoint
 * was altered (or lost), and a tree extended on top of it would sign over the damage.
 */
function checkHead(tenantId: TenantId, head: LedgerCheckpointRecord, nodes: NodeReader, hasher: LedgerHasher): void {
  const where = `checkpoint ${head.checkpointId} (tree_size ${head.treeSize})`
  let root: string
  try {
    root = head.treeSize === 0 ? '' : bytesToHex(rootFromNodes(nodes, head.treeSize, hasher))
  } catch (err) {
    throw new LedgerBreakError(tenantId, `nodes_missing:${head.checkpointId}`, `ledger of tenant ${tenantId}: stored Merkle nodes under ${where} are missing (${(err as Error).message}); sealing stopped for this tenant; run "ledger verify"`)
  }
  if (head.treeSize > 0 && root !== head.rootHash) {
    throw new LedgerBreakError(tenantId, `root_mismatch:${head.checkpointId}`, `ledger of tenant ${tenantId}: the stored Merkle nodes recompute root ${root}, but ${where} signed root ${head.rootHash}; sealing stopped for this tenant; run "ledger verify"`)
  }
}

function tickSealer(sealer: LedgerSealer, replicated: boolean): void {
  if (replicated) void sealer.scan()
  else sealer.kick()
}
