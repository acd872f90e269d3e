// The tenant-scoped ledger API (spec §3, §7.6): GET /ledger (redacted rows by default, view=full for
// reviewer/admin keys, streamed and byte-bounded in ledger-page.ts; bundles carry the full event for
// those keys only), /ledger/checkpoints (alias /manifests),
// /ledger/encrypted, /ledger/proof/{inclusion,consistency,bundle}, /ledger/verify and /ledger/verification-summary. Thin:
// the work is in src/ledger's LedgerService; here only query parsing and the wire shapes.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { bodyEncryptionDescriptor, ledgerCheckpointOf } from '../../ledger/index.ts'
import type { KeyVersion, ProofFailure } from '../../ledger/index.ts'
import type { ApiKeyRole, LedgerListQuery } from '../../store/index.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { ledgerPageStream } from './ledger-page.ts'
import type { LedgerView } from './ledger-page.ts'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

type Query = Record<string, string | undefined>

/** A non-negative safe integer from a query value, undefined when absent, null when invalid. */
function count(value: string | undefined): number | undefined | null {
  if (value === undefined || value === '') return undefined
  if (!/^\d{1,15}$/.test(value)) return null
  return Number(value)
}

/**
 * Paging shared by /ledger and /ledger/checkpoints: ascending from the start by default (so the
 * client's chain-from-genesis check passes, docs/design/ledger.md), `order=desc` for newest first,
 * `after` (alias `cursor`) an exclusive bound in that order, `from` an inclusive one.
 */
function listQuery(q: Query): LedgerListQuery | string {
  const limit = count(q.limit)
  if (limit === null || limit === 0) return 'query.limit: expected an integer from 1 to 1000'
  const order = q.order ?? 'asc'
  if (order !== 'asc' && order !== 'desc') return 'query.order: expected "asc" or "desc"'
  const after = count(q.after ?? q.cursor)
  if (after === null) return 'query.after: expected a seq or checkpoint id from this API'
  const from = count(q.from)
  if (from === null) return 'query.from: expected a seq or checkpoint id'
  const bound = after ?? (from === undefined ? null : order === 'asc' ? from - 1 : from + 1)
  return { after: bound, limit: Math.min(MAX_LIMIT, limit ?? DEFAULT_LIMIT), order }
}

const JSON_TYPE = 'application/json; charset=utf-8'

/**
 * Roles that may read full rows (tool_args, citations, evidence): the auditors of a tenant. Reviewers
 * already see full arguments in the review queue; agent keys (what the client runs with) do not, and
 * their default page is the redacted one the client can verify (docs/design/ledger-views.md).
 */
const FULL_VIEW_ROLES: ReadonlySet<string> = new Set<ApiKeyRole>(['reviewer', 'admin'])

/** `view=redacted|full`; the older `redact=1` still asks for the (now default) redacted rows. */
function viewOf(q: Query): LedgerView | null {
  const view = q.view ?? 'redacted'
  if (view !== 'redacted' && view !== 'full') return null
  if (view === 'full' && (q.redact === '1' || q.redact === 'true')) return null
  return view
}

function sendFailure(ctx: VaultContext, reply: FastifyReply, failure: ProofFailure): FastifyReply {
  if (failure.reason === 'invalid') return sendProblem(reply, 'invalid_request', failure.detail)
  // "Not sealed yet" is a 404 that says when to retry: no proof exists yet, and the client maps any
  // non-2xx to the same error anyway (spec §3), so a new status would only add a code to learn.
  const retry = failure.reason === 'not_sealed' ? Math.max(1, Math.ceil(ctx.ledgerService.sealer.intervalMs / 1000)) : undefined
  return sendProblem(reply, 'not_found', failure.detail, retry)
}

/** Published keys (active and retired; revoked keys are gone) as spec §7.6 KeyVersion rows. */
export function keyVersions(ctx: VaultContext, kids: readonly string[] | null): KeyVersion[] {
  const out: KeyVersion[] = []
  for (const jwk of ctx.keyRing.jwks.keys) {
    const kid = jwk.kid
    if (kid === undefined || (kids !== null && !kids.includes(kid))) continue
    const record = ctx.keyRing.records.find((r) => r.kid === kid)
    const version: KeyVersion = {
      key_id: kid,
      algorithm: 'Ed25519',
      active_from: new Date(record?.activeFromMs ?? 0).toISOString(),
      public_jwk: Buffer.from(JSON.stringify(jwk), 'utf8').toString('base64url'),
      attestation_payload: '',
      attestation_signature: '',
      attestation_key_id: '',
      attestation_status: '',
    }
    if (record?.retiredAtMs != null) version.retired_at = new Date(record.retiredAtMs).toISOString()
    out.push(version)
  }
  return out
}

/**
 * Whole-ledger verification passes running at once, Vault-wide (issue 16, availability). Each pass is
 * O(ledger) of signature checks; it yields between pages, but nothing bounded how many ran, so any
 * key could start pass after pass and every pass shared the one event loop with every clearance.
 * Concurrent requests for the same tenant and mode share one pass; distinct passes beyond this are
 * refused with 503 overloaded and Retry-After.
 */
export const MAX_CONCURRENT_VERIFICATIONS = 2
const VERIFICATION_RETRY_AFTER_SECONDS = 5

export function registerLedgerRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const ledger = ctx.ledgerService
  /** In-flight passes by tenant and mode: joined, not repeated. */
  const passes = new Map<string, ReturnType<typeof ledger.verify>>()

  app.get('/ledger', async (request, reply) => {
    const q = request.query as Query
    const query = listQuery(q)
    if (typeof query === 'string') return sendProblem(reply, 'invalid_request', query)
    const view = viewOf(q)
    if (view === null) return sendProblem(reply, 'invalid_request', 'query.view: expected "redacted" (the default) or "full"')
    const auth = request.auth!
    if (view === 'full' && !FULL_VIEW_ROLES.has(auth.role)) {
      return sendProblem(reply, 'forbidden', 'full ledger rows (view=full) need a reviewer- or admin-role API key; agent keys read redacted rows')
    }
    return reply.type(JSON_TYPE).send(await ledgerPageStream(ctx, auth.tenantId, query, view))
  })

  // Redacted rows with their at-rest ciphertext, for whoever holds ledger.encryption_key (an audit
  // export that never needs the Vault to decrypt); docs/design/ledger-views.md.
  app.get('/ledger/encrypted', async (request, reply) => {
    const query = listQuery(request.query as Query)
    if (typeof query === 'string') return sendProblem(reply, 'invalid_request', query)
    const auth = request.auth!
    if (!FULL_VIEW_ROLES.has(auth.role)) return sendProblem(reply, 'forbidden', 'the encrypted ledger export needs a reviewer- or admin-role API key')
    if (!ledger.encrypted) {
      return sendProblem(reply, 'not_found', 'ledger bodies are not encrypted at rest here (ledger.encryption_key is not set); read full rows with GET /ledger?view=full')
    }
    const head = `"encryption":${JSON.stringify(bodyEncryptionDescriptor(auth.tenantId, await ctx.store.getLedgerDataKey(auth.tenantId)))},`
    return reply.type(JSON_TYPE).send(await ledgerPageStream(ctx, auth.tenantId, query, 'encrypted', head))
  })

  async function checkpoints(request: FastifyRequest, reply: FastifyReply) {
    const query = listQuery(request.query as Query)
    if (typeof query === 'string') return sendProblem(reply, 'invalid_request', query)
    const list = await ctx.store.listLedgerCheckpoints(request.auth!.tenantId, query)
    const last = list[list.length - 1]
    const body = { checkpoints: list.map(ledgerCheckpointOf) }
    return list.length === query.limit && last !== undefined ? { ...body, next_cursor: String(last.checkpointId) } : body
  }
  app.get('/ledger/checkpoints', checkpoints)
  app.get('/ledger/manifests', checkpoints)

  app.get('/ledger/proof/inclusion', async (request, reply) => {
    const q = request.query as Query
    if (q.request_id === undefined || q.request_id === '') return sendProblem(reply, 'invalid_request', 'query.request_id is required')
    const checkpointId = count(q.checkpoint_id)
    if (checkpointId === null) return sendProblem(reply, 'invalid_request', 'query.checkpoint_id: expected a checkpoint id')
    const proof = await ledger.inclusion(request.auth!.tenantId, q.request_id, checkpointId ?? null)
    return proof.ok ? proof.value : sendFailure(ctx, reply, proof)
  })

  app.get('/ledger/proof/consistency', async (request, reply) => {
    const q = request.query as Query
    const from = count(q.from)
    const to = count(q.to)
    if (from == null || to == null || from === 0 || to === 0) return sendProblem(reply, 'invalid_request', 'query.from and query.to: expected checkpoint ids (integers >= 1)')
    const proof = await ledger.consistency(request.auth!.tenantId, from, to)
    return proof.ok ? proof.value : sendFailure(ctx, reply, proof)
  })

  app.get('/ledger/proof/bundle', async (request, reply) => {
    const q = request.query as Query
    if (q.request_id === undefined || q.request_id === '') return sendProblem(reply, 'invalid_request', 'query.request_id is required')
    // The event's body (tool_args, reason, evidence) only for the roles that may read full rows: the
    // redacted page names every request id, so a full bundle for any key would undo its redaction.
    // The client's verifyLedgerProofBundle never recomputes the event hash: a redacted event verifies.
    const auth = request.auth!
    const bundle = await ledger.bundle(auth.tenantId, q.request_id, (kids) => keyVersions(ctx, kids), !FULL_VIEW_ROLES.has(auth.role))
    return bundle.ok ? bundle.value : sendFailure(ctx, reply, bundle)
  })

  app.get('/ledger/verify', async (request, reply) => {
    // mode=full (default) checks every receipt signature; mode=tree proves sealed rows through the
    // signed tree instead (docs/design/ledger.md "Verification modes").
    const mode = (request.query as Query).mode ?? 'full'
    if (mode !== 'full' && mode !== 'tree') return sendProblem(reply, 'invalid_request', 'query.mode must be "full" or "tree"')
    // Yield between pages: a long pass must not starve clearances on the same event loop.
    const key = `${request.auth!.tenantId}\u0000${mode}`
    let pass = passes.get(key)
    if (pass === undefined) {
      if (passes.size >= MAX_CONCURRENT_VERIFICATIONS) {
        return sendProblem(reply, 'overloaded', `${MAX_CONCURRENT_VERIFICATIONS} ledger verifications are already running; retry shortly`, VERIFICATION_RETRY_AFTER_SECONDS)
      }
      pass = ledger.verify(request.auth!.tenantId, ctx.keyRing.jwks, () => yieldToLoop(), mode)
      passes.set(key, pass)
      void pass.finally(() => passes.delete(key)).catch(() => undefined)
    }
    const result = await pass
    // Issue 17: a break found here notifies the tenant's channels (ledger.verification_failed).
    if (!result.intact && ctx.notify !== null) {
      const m = result.mismatch
      // The break's identity leaves out leaf_index and the text: both change when the sealer seals the row.
      const identity = m === undefined ? undefined : `${m.kind}|seq=${m.seq ?? ''}|checkpoint=${m.checkpoint_id ?? ''}|node=${m.level ?? ''}/${m.index ?? ''}`
      await ctx.notify.notifier.notifyLedgerFailure(request.auth!.tenantId, `GET /ledger/verify (${mode})`, result.error ?? 'verification failed', ctx.clock.now(), identity)
    }
    return result
  })

  app.get('/ledger/verification-summary', async (request) => {
    const tenantId = request.auth!.tenantId
    const [counts, latest] = await Promise.all([ctx.store.countLedgerEvents(tenantId), ctx.store.getLatestLedgerCheckpoint(tenantId)])
    const last = ledger.lastVerification(tenantId)
    return {
      entries: counts.total,
      sealed_entries: counts.sealed,
      unsealed_entries: counts.unsealed,
      tree_size: latest?.treeSize ?? 0,
      checkpoints: latest?.checkpointId ?? 0,
      latest_checkpoint: latest === null ? null : ledgerCheckpointOf(latest),
      encrypted_at_rest: ledger.encrypted,
      // No export target is configured: checkpoints are not anchored anywhere outside this store.
      anchor_state: 'none',
      key_versions: keyVersions(ctx, null),
      last_verification:
        last === null
          ? null
          : { verified_at: last.verified_at, intact: last.result.intact, verified_entries: last.result.verified_entries, ...(last.result.error === undefined ? {} : { error: last.result.error }) },
    }
  })
}
