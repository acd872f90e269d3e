// What the durable write path has done since the store opened: produced by the store (`stats()`),
// exported by observability on /metrics. Here because both may import core and neither the other.
export interface StoreStats {
  /** Transactions committed (one per group-committed batch). */
  commits: number
  /** write() calls those transactions carried (writes / commits = the mean batch size). */
  writes: number
  /** fdatasyncs of the WAL run off the event loop for burn batches. */
  deferredSyncs: number
  /** A failed WAL sync has failed the store (every write refused). */
  failed: boolean
}
