// Policy versions for the dashboard: list (content hash, author key, active), one version's content,
// validation of YAML/JSON text with line and column, a server-computed line diff of two versions, and
// a side-effect-free dry run against a stored version or posted text. Registering stays
// POST /register-policy. Agent keys are refused: what the policy says is not theirs to read.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { TenantId } from '../../core/index.ts'
import type { PolicyVersionRecord } from '../../store/index.ts'
import type { VaultContext } from '../context.ts'
import { sendProblem } from '../http-errors.ts'
import { compilePolicy } from '../policy/index.ts'
import type { CompiledPolicy } from '../policy/index.ts'
import { dryRunPolicy } from '../policy-dry-run.ts'
import { canonicalPolicyText, parsePolicySource } from '../policy-source.ts'
import type { PolicyFormat, SourceProblem } from '../policy-source.ts'
import { readReviewSettings } from '../tenant-settings.ts'
import { diffLines } from '../text-diff.ts'
import { diffQuery, dryRunBody, formatQuery, validateBody, versionParams } from './dashboard-schemas.ts'

/** Versions listed: newest first, enough for any page; older ones stay readable by id. */
const MAX_VERSIONS_LISTED = 500
/** Problems quoted in a 400's detail (all of them are in POST /policies/validate's answer). */
const MAX_PROBLEMS_IN_DETAIL = 5

function refusedAgent(request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
  return request.auth!.role === 'agent' ? sendProblem(reply, 'forbidden', 'policy versions need a reviewer or admin key') : null
}

async function versionView(ctx: VaultContext, tenantId: TenantId, records: readonly PolicyVersionRecord[]): Promise<Array<Record<string, unknown>>> {
  const [latest, keys] = await Promise.all([ctx.store.listLatestPolicies(tenantId), ctx.store.listApiKeys(tenantId)])
  const active = new Set(latest.map((p) => p.versionId))
  const names = new Map(keys.map((k) => [k.keyId as string, k.name]))
  return records.map((r) => ({
    version: r.versionId,
    policy_id: r.policyId,
    description: r.description,
    content_hash: r.contentHash,
    author_key_id: r.authorKeyId ?? null,
    author: r.authorKeyId == null ? null : (names.get(r.authorKeyId) ?? null),
    created_at: new Date(r.createdAtMs).toISOString(),
    active: active.has(r.versionId),
  }))
}

function problemsDetail(field: string, errors: readonly SourceProblem[]): string {
  const shown = errors.slice(0, MAX_PROBLEMS_IN_DETAIL).map((e) => `line ${e.line}, column ${e.column}: ${e.path === '' ? '' : `${e.path}: `}${e.message}`)
  const more = errors.length > MAX_PROBLEMS_IN_DETAIL ? `; and ${errors.length - MAX_PROBLEMS_IN_DETAIL} more (POST /policies/validate lists them all)` : ''
  return `${field}: ${shown.join('; ')}${more}`
}

export function registerDashboardPolicyRoutes(app: FastifyInstance, ctx: VaultContext): void {
  const { store } = ctx

  app.get('/policies', async (request, reply) => {
    if (refusedAgent(request, reply) !== null) return reply
    const tenantId = request.auth!.tenantId
    return { versions: await versionView(ctx, tenantId, await store.listPolicyVersions(tenantId, MAX_VERSIONS_LISTED)) }
  })

  // Static before parametric: find-my-way prefers /policies/diff over /policies/:version.
  app.get('/policies/diff', { schema: { querystring: diffQuery } }, async (request, reply) => {
    if (refusedAgent(request, reply) !== null) return reply
    const tenantId = request.auth!.tenantId
    const q = request.query as { from: string; to: string; format?: PolicyFormat }
    const format = q.format ?? 'yaml'
    const [from, to] = await Promise.all([store.getPolicyVersion(tenantId, q.from), store.getPolicyVersion(tenantId, q.to)])
    if (from === null) return sendProblem(reply, 'not_found', 'query.from: no such policy version')
    if (to === null) return sendProblem(reply, 'not_found', 'query.to: no such policy version')
    const a = canonicalPolicyText(JSON.parse(from.documentJson), format).split('\n')
    const b = canonicalPolicyText(JSON.parse(to.documentJson), format).split('\n')
    const hunks = diffLines(a, b)
    return {
      from: { version: from.versionId, policy_id: from.policyId, content_hash: from.contentHash },
      to: { version: to.versionId, policy_id: to.policyId, content_hash: to.contentHash },
      format,
      identical: hunks.length === 0,
      hunks,
    }
  })

  app.get('/policies/:version', { schema: { params: versionParams, querystring: formatQuery } }, async (request, reply) => {
    if (refusedAgent(request, reply) !== null) return reply
    const tenantId = request.auth!.tenantId
    const { version } = request.params as { version: string }
    const format = (request.query as { format?: PolicyFormat }).format ?? 'yaml'
    const record = await store.getPolicyVersion(tenantId, version)
    if (record === null) return sendProblem(reply, 'not_found', 'no such policy version')
    const document = JSON.parse(record.documentJson) as unknown
    const [view] = await versionView(ctx, tenantId, [record])
    return { ...view, document, format, text: canonicalPolicyText(document, format) }
  })

  app.post('/policies/validate', { schema: { body: validateBody } }, async (request, reply) => {
    if (refusedAgent(request, reply) !== null) return reply
    const body = request.body as { content: string; format?: PolicyFormat }
    const parsed = parsePolicySource(body.content, body.format ?? 'yaml')
    if (!parsed.ok) return { ok: false, errors: parsed.errors }
    // The compiled registration, ready for POST /register-policy as it is.
    return { ok: true, errors: [], policy_id: parsed.policy.policyId, content_hash: parsed.policy.contentHash, document: parsed.policy.normalized }
  })

  app.post('/policies/dry-run', { schema: { body: dryRunBody } }, async (request, reply) => {
    if (refusedAgent(request, reply) !== null) return reply
    const auth = request.auth!
    const body = request.body as {
      version?: string
      content?: string
      format?: PolicyFormat
      tool_name: string
      tool_args?: Record<string, unknown>
      agent_id?: string
      session_id?: string
      context?: Record<string, unknown>
    }
    if ((body.version === undefined) === (body.content === undefined)) {
      return sendProblem(reply, 'invalid_request', 'body.version: give exactly one of version (a stored policy version) and content (policy text)')
    }
    let policy: CompiledPolicy
    if (body.version !== undefined) {
      const record = await store.getPolicyVersion(auth.tenantId, body.version)
      if (record === null) return sendProblem(reply, 'not_found', 'body.version: no such policy version')
      const compiled = compilePolicy(JSON.parse(record.documentJson) as unknown, { versionId: record.versionId })
      if (!compiled.ok) return sendProblem(reply, 'invalid_request', `body.version: this stored version no longer compiles (${compiled.errors[0]?.message ?? 'unknown problem'})`)
      policy = compiled.policy
    } else {
      const parsed = parsePolicySource(body.content as string, body.format ?? 'yaml')
      if (!parsed.ok) return sendProblem(reply, 'invalid_request', problemsDetail('body.content', parsed.errors))
      policy = parsed.policy
    }
    const settings = await readReviewSettings(store, auth.tenantId, ctx.config.minimumConfidenceScore)
    return dryRunPolicy({
      policy,
      toolName: body.tool_name,
      toolArgs: body.tool_args ?? {},
      agentId: body.agent_id ?? 'default-agent',
      sessionId: body.session_id ?? '',
      context: body.context ?? {},
      nowMs: ctx.clock.now(),
      minimumConfidence: settings.minimum_confidence_score,
      defaultEffect: ctx.config.defaultEffect,
    })
  })
}
