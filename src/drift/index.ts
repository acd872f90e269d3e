// Public surface of src/drift: per-agent features, baselines and scores (pure), the settings, and the
// background monitor that folds observations off the request path and asks for lockdown.
export { DEFAULT_DRIFT_SETTINGS, driftSettingsFrom, globMatcher, mergeDriftSettings } from './settings.ts'
export type { DriftMode, DriftSettings, DriftThresholds } from './settings.ts'
export { newAgentState, reviveAgentState } from './agent-state.ts'
export type { AgentState, BaselineMeta, DriftObservation, Outcome } from './agent-state.ts'
export { LEVELS, PROBATION_MS, UNIDENTIFIED_AGENT, afterRelease, compileSettings, levelOf, observe } from './engine.ts'
export type { CompiledSettings, DriftEventDraft, DriftEventType, DriftLevel } from './engine.ts'
export type { Reason } from './features.ts'
export { DEFAULT_DRIFT_FLUSH_MS, DEFAULT_DRIFT_QUEUE, DEFAULT_DRIFT_TICK_MS, DriftMonitor, MAX_AGENTS_PER_TENANT } from './monitor.ts'
export type { DriftMonitorOptions, DriftSink } from './monitor.ts'
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
  psi,
  psiThreshold,
  severityOfRatio,
  tailSeverity,
} from './stats.ts'
