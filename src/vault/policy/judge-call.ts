// Consulting the judge during evaluation: an outer deadline and the caller's AbortSignal (so evaluation
// never waits on a judge that hangs or ignores its signal), and its answer turned into a finding.
// A missing, throwing or failing judge is a review finding, never an approval.
import { bucketFor } from './confidence.ts'
import type { Finding } from './decide.ts'
import type { CompiledPolicy, Judge, JudgeRequest, JudgeResult } from './types.ts'

export interface JudgeOutcome {
  /** What the judge contributes to the decision; null only when nothing was asked. */
  finding: Finding | null
  trace: Record<string, unknown>
  judged: boolean
  aborted: boolean
  classifierLabel: string
  classifierConfidenceBucket: string
}

export const NOT_JUDGED: JudgeOutcome = Object.freeze({
  finding: null,
  trace: {},
  judged: false,
  aborted: false,
  classifierLabel: '',
  classifierConfidenceBucket: '',
})

/**
 * Ask `judge` about `request.rules` (qualified ids, each in `nlPolicy`). Verdicts below
 * `minimumConfidence` become review; cited ids the request did not contain are dropped.
 */
export async function consultJudge(
  judge: Judge | null,
  request: JudgeRequest,
  nlPolicy: ReadonlyMap<string, CompiledPolicy>,
  minimumConfidence: number,
  signal: AbortSignal | undefined,
  deadlineMs: number,
): Promise<JudgeOutcome> {
  const allIds = request.rules.map((r) => r.id)
  const firstPolicy = nlPolicy.get(allIds[0] as string) as CompiledPolicy
  const review = (kind: Finding['kind'], text: string): Finding =>
    ({ kind, effect: 'review', policy: firstPolicy, ruleIds: allIds, text, confidence: 0, rule: null })
  if (judge === null) {
    const trace = { kind: 'judge', result: 'not_configured', rule_ids: allIds }
    return { ...NOT_JUDGED, finding: review('no_judge', ''), trace }
  }
  const base = { kind: 'judge', judge: judge.name, rule_ids: allIds }
  const result = await callJudge(judge, request, signal, deadlineMs)
  if (result === 'aborted') return { ...NOT_JUDGED, judged: true, aborted: true, trace: { ...base, result: 'aborted' } }
  if (!result.ok) {
    const finding = review('judge_unavailable', `judge ${judge.name} unavailable: ${result.reason}`)
    return { ...NOT_JUDGED, judged: true, finding, trace: { ...base, result: 'unavailable', error: result.reason } }
  }

  const v = result.verdict
  const cited = v.citedRules.filter((id) => nlPolicy.has(id))
  const ruleIds = cited.length > 0 ? cited : allIds
  const policy = nlPolicy.get(ruleIds[0] as string) as CompiledPolicy
  const said = `judge ${judge.name} said ${v.verdict}${v.reason === '' ? '' : ` (${v.reason})`}`
  const low = v.confidence < minimumConfidence
  const finding: Finding = {
    kind: low ? 'low_confidence' : 'judge',
    effect: low ? 'review' : v.verdict,
    policy,
    ruleIds,
    text: low ? `${said} with confidence ${v.confidence}, below the minimum ${minimumConfidence}` : said,
    confidence: v.confidence,
    rule: null,
  }
  const trace = { ...base, result: 'verdict', verdict: v.verdict, confidence: v.confidence, cited_rules: cited, reason: v.reason }
  return {
    finding,
    trace,
    judged: true,
    aborted: false,
    classifierLabel: v.verdict,
    classifierConfidenceBucket: bucketFor(v.confidence),
  }
}

/**
 * Resolve with the judge's result, a failure value on deadline or throw, or 'aborted' when the
 * caller's signal fires first. Timers and listeners are removed before returning.
 */
async function callJudge(
  judge: Judge,
  request: JudgeRequest,
  signal: AbortSignal | undefined,
  deadlineMs: number,
): Promise<JudgeResult | 'aborted'> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let onAbort: (() => void) | undefined
  const stop = new Promise<JudgeResult | 'aborted'>((resolve) => {
    timer = setTimeout(() => {
      resolve({ ok: false, reason: `no answer within ${deadlineMs} ms` })
      controller.abort(new Error('judge deadline'))
    }, deadlineMs)
    onAbort = () => {
      resolve('aborted')
      controller.abort(signal?.reason)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([invoke(judge, request, controller.signal), stop])
  } finally {
    clearTimeout(timer)
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort)
  }
}

async function invoke(judge: Judge, request: JudgeRequest, signal: AbortSignal): Promise<JudgeResult> {
  try {
    const result = await judge.judge(request, signal)
    return isJudgeResult(result) ? result : { ok: false, reason: 'judge returned a malformed result' }
  } catch (err) {
    const detail = err instanceof Error ? err.message : 'unknown error'
    return { ok: false, reason: `judge threw (${detail})` }
  }
}

// Judges may be third-party code: check the shape instead of trusting the type.
function isJudgeResult(value: unknown): value is JudgeResult {
  if (value === null || typeof value !== 'object') return false
  const r = value as { ok?: unknown; reason?: unknown; verdict?: unknown }
  if (r.ok === false) return typeof r.reason === 'string'
  if (r.ok !== true || r.verdict === null || typeof r.verdict !== 'object') return false
  const v = r.verdict as { verdict?: unknown; confidence?: unknown; citedRules?: unknown; reason?: unknown }
  return (
    (v.verdict === 'allow' || v.verdict === 'deny' || v.verdict === 'review') &&
    typeof v.confidence === 'number' &&
    v.confidence >= 0 &&
    v.confidence <= 1 &&
    Array.isArray(v.citedRules) &&
    v.citedRules.every((id) => typeof id === 'string') &&
    typeof v.reason === 'string'
  )
}
