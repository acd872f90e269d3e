// Public surface of src/drift: per-agent features, baselines and scores (pure), the settings, and the
// background monitor that folds observations off the request path and asks for lockdown.
export { DEFAULT_DRIFT_SETTINGS, driftSettingsFrom, globMatcher, mergeDriftSettings } from './settings.ts'
export type { DriftMode, DriftSettings, DriftThresholds } from './settings.ts'
export { newAgentState, reviveAgentState } from './agent-state.ts'
export type { AgentState, BaselineMeta, DriftObservation, Outcome } from './agent-state.ts'
export { IDLE_WINDOW_MS, LEVELS, PROBATION_MS, UNIDENTIFIED_AGENT, afterRelease, compileSettings, levelOf, needsIdleEvaluation, observe, reevaluate } from './engine.ts'
export type { CompiledSettings, DriftEventDraft, DriftEventType, DriftLevel } from './engine.ts'
export { MIN_BASELINE_DAYS } from './features.ts'
export type { Reason } from './features.ts'
export { registerDriftMetrics } from './metrics.ts'
export { DEFAULT_DRIFT_FLUSH_MS, DEFAULT_DRIFT_IDLE_EVAL_MS, DEFAULT_DRIFT_QUEUE, DEFAULT_DRIFT_TICK_MS, DriftMonitor, IDLE_SLICE, MAX_AGENTS_PER_TENANT } from './monitor.ts'
export type { DriftCounters, DriftMonitorOptions, DriftSink } from './monitor.ts'
export { agentView, eventView, manualEventView, summaryView } from './views.ts'
export type { AgentLockView } from './views.ts'
export {
  binomialUpperTail,
  chiSquareQuantile,
  compositeScore,
  jsDistance,
  mad,
  median,
  modifiedZ,
  normalQuantile,
  poissonUpperTail,
  predictionUpperBound,
  psi,
  psiThreshold,
  severityOfRatio,
  studentTQuantile,
  tailSeverity,
} from './stats.ts'
