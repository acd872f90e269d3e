// Public surface of the Vault policy engine: compile registrations, load them from YAML, evaluate a
// clearance request against them, and the OpenAI-compatible judge for natural-language rules.
export { compilePolicy, withVersionId, MAX_RULES, MAX_RULE_TEXT_LENGTH, MAX_TOOLS } from './compile.ts'
export { evaluate, DEFAULT_EFFECT, DEFAULT_JUDGE_DEADLINE_MS } from './evaluate.ts'
export { loadPoliciesDir, formatLoadProblem } from './load-dir.ts'
export type { PolicyLoadProblem, PolicyLoadResult } from './load-dir.ts'
export { createOpenAiJudge, DEFAULT_JUDGE_TIMEOUT_MS, MAX_JUDGE_RESPONSE_BYTES } from './judge-openai.ts'
export type { OpenAiJudgeOptions } from './judge-openai.ts'
export {
  bucketFor,
  BUCKET_LOWER_BOUNDS,
  BUCKET_MIDPOINTS,
  DEFAULT_MINIMUM_CONFIDENCE,
  STRUCTURED_CONFIDENCE,
} from './confidence.ts'
export { CEL_VARIABLES, MAX_WHEN_LENGTH } from './cel.ts'
export { canonicalJson as canonicalPolicyJson } from './hashing.ts'
export type {
  CompileResult,
  CompiledPolicy,
  CompiledRule,
  ConfidenceBucket,
  Decision,
  DecisionOutcome,
  Effect,
  EvaluateOptions,
  EvaluationInput,
  Judge,
  JudgeRequest,
  JudgeResult,
  JudgeRule,
  JudgeVerdict,
  NaturalLanguageRule,
  NormalizedRegistration,
  NormalizedStructuredRule,
  PolicyProblem,
  StructuredRule,
} from './types.ts'
