// What the stored-ledger verification reports when it stops: the kind of damage and where (seq,
// leaf_index, checkpoint, node). Checks throw Failed, which the pass turns into its result.
import type { StoredLedgerEvent } from '../store/index.ts'

export type MismatchKind =
  | 'keys' | 'event_hash' | 'body' | 'leaf_hash' | 'receipt' | 'leaf_missing' | 'order' | 'checkpoint_link'
  | 'checkpoint' | 'checkpoint_root' | 'checkpoint_uncovered' | 'node'

export interface LedgerMismatch {
  kind: MismatchKind
  seq?: number
  leaf_index?: number
  checkpoint_id?: number
  level?: number
  index?: number
  detail: string
}

export class Failed {
  readonly mismatch: LedgerMismatch
  constructor(mismatch: LedgerMismatch) {
    this.mismatch = mismatch
  }
}

export function fail(m: LedgerMismatch): never {
  throw new Failed(m)
}

/** A mismatch located at a row: its seq, and its leaf_index once sealed. */
export function failRow(e: StoredLedgerEvent, kind: MismatchKind, detail: string): never {
  throw new Failed(e.leafIndex === null ? { kind, seq: e.seq, detail } : { kind, seq: e.seq, leaf_index: e.leafIndex, detail })
}
