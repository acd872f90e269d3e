// One GET /ledger page as a byte-bounded stream (issue 16): rows are read from the store a few at a
// time, each serialised on its own and pushed only when the socket asks for more, and the page stops
// once MAX_LEDGER_PAGE_BYTES of rows have been written, with `next_cursor` to continue. So a
// `limit=1000` page of large rows holds a few rows in memory, never the whole page, and its reads
// interleave with other tenants' requests on the event loop.
import { Readable } from 'node:stream'
import type { TenantId } from '../../core/index.ts'
import type { LedgerListQuery, StoredLedgerEvent } from '../../store/index.ts'
import type { VaultContext } from '../context.ts'

/**
 * Row bytes per page. The client's fetchLedger() asks for 100 rows and cannot follow a cursor (spec
 * §3), so a default (redacted, ≈1.2 KB per row) page of 1000 rows (≈1.2 MB) must fit whole; full rows
 * carry caller tool_args of up to max_body each, and it is those pages the bound stops early.
 */
export const MAX_LEDGER_PAGE_BYTES = 2 * 1024 * 1024

/**
 * Rows per store read: small, because one row may carry up to max_body of tool_args and a read is
 * held in memory until serialised; the read is synchronous on SQLite, so this is also the most work
 * one page does between two turns of the event loop.
 */
const READ_CHUNK_ROWS = 8

/**
 * What a page serves: redacted rows (the default, spec §7.2), full rows (privileged keys), or
 * redacted rows with their encrypted-at-rest body (`/ledger/encrypted`, docs/design/ledger-views.md).
 */
export type LedgerView = 'redacted' | 'full' | 'encrypted'

/** One row as served in `view`. */
async function rowJson(ctx: VaultContext, row: StoredLedgerEvent, view: LedgerView): Promise<string> {
  if (view === 'full') return JSON.stringify(await ctx.ledgerService.entryOf(row, false))
  const entry = await ctx.ledgerService.entryOf(row, true)
  if (view === 'redacted') return JSON.stringify(entry)
  // A row written before ledger.encryption_key was set has no envelope: null, never the plaintext.
  const envelope = row.bodyCipher === null ? null : Buffer.from(row.bodyCipher.buffer, row.bodyCipher.byteOffset, row.bodyCipher.byteLength).toString('base64url')
  // intent_hash stays "" (the row still reads as redacted to the client); the key holder needs the
  // real one to recompute event_hash, and these keys may read full rows anyway.
  return JSON.stringify({ ...entry, encrypted_body: envelope, sealed_intent_hash: row.intentHash })
}

/**
 * The `{…head,"entries":[…],"next_cursor":"…"}` body of one page, as pieces pulled by Readable.from
 * (one store read per piece, pulled only when the socket has room). `next_cursor` is present when the
 * page was cut by its row limit or its byte budget, as before the bound: more may follow from there.
 */
async function* pagePieces(
  ctx: VaultContext, tenantId: TenantId, query: LedgerListQuery, view: LedgerView, head: string, maxBytes: number,
): AsyncGenerator<string> {
  let want = Math.min(READ_CHUNK_ROWS, query.limit)
  let rows = await ctx.store.listLedgerEvents(tenantId, { ...query, limit: want })
  let sent = 0
  let rowBytes = 0
  let lastSeq: number | null = null
  let piece = `{${head}"entries":[`
  for (;;) {
    for (const row of rows) {
      const json = await rowJson(ctx, row, view)
      piece += sent === 0 ? json : ',' + json
      rowBytes += Buffer.byteLength(json)
      sent++
      lastSeq = row.seq
      if (sent >= query.limit || rowBytes >= maxBytes) break
    }
    const cut = sent >= query.limit || rowBytes >= maxBytes
    if (cut || rows.length < want) {
      yield piece + (cut && lastSeq !== null ? `],"next_cursor":"${lastSeq}"}` : ']}')
      return
    }
    yield piece
    piece = ''
    want = Math.min(READ_CHUNK_ROWS, query.limit - sent)
    rows = await ctx.store.listLedgerEvents(tenantId, { after: lastSeq, limit: want, order: query.order })
  }
}

async function* prepended(first: IteratorResult<string>, rest: AsyncGenerator<string>): AsyncGenerator<string> {
  if (first.done === true) return
  yield first.value
  yield* rest
}

/**
 * The page body as a stream that holds at most one chunk of rows and one serialised piece. `head` is
 * JSON members (each followed by a comma) written before `entries`. The first piece is made before
 * this resolves, so a store or body failure there is still a problem response (500 `internal_error`,
 * as before); a later one aborts the connection, because the status line has gone out.
 */
export async function ledgerPageStream(
  ctx: VaultContext, tenantId: TenantId, query: LedgerListQuery, view: LedgerView, head = '', maxBytes = MAX_LEDGER_PAGE_BYTES,
): Promise<Readable> {
  const pieces = pagePieces(ctx, tenantId, query, view, head, maxBytes)
  const first = await pieces.next()
  // objectMode false + strings: each piece becomes one Buffer; highWaterMark 1 keeps no read-ahead.
  return Readable.from(prepended(first, pieces), { objectMode: false, highWaterMark: 1 })
}
