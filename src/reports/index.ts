// Public surface of src/reports: compliance reports (builder, artifacts, share tokens, generation
// worker, offline verification). The Vault imports this file only (vault → reports).
export { buildReport, REPORT_SCHEMA } from './builder.ts'
export type { BuiltReport, ReportDocument, ReportRequest, ReportSources } from './builder.ts'
export { evaluateControls } from './controls.ts'
export type { ControlEvidence, ControlView, ReportException } from './controls.ts'
export { CSV_COLUMNS, renderCsv } from './csv.ts'
export { reportEvent, settingsChangedEvent } from './ledger-rows.ts'
export { MAX_REPORT_ROWS, REPORT_TOOL } from './population.ts'
export { PDF_MAX_LISTED, renderPdf } from './pdf.ts'
export { selectSample, sha256Hex } from './sections.ts'
export type { PolicyInForce } from './sections.ts'
export { MAX_QUEUED_REPORTS, ReportService } from './service.ts'
export {
  DEFAULT_SCHEDULE_TICK_MS,
  MAX_CATCHUP_PERIODS,
  ReportScheduler,
  SCHEDULE_ACTOR_PREFIX,
  SCHEDULE_CLAIM_ROUTE_PREFIX,
  claimKey,
  completedPeriods,
  periodStart,
} from './schedule.ts'
export type { ReportSchedulerOptions } from './schedule.ts'
export type { ReportServiceOptions } from './service.ts'
export {
  DEFAULT_REPORT_SETTINGS,
  DEFAULT_SHARE_TTL_DAYS,
  MAX_SAMPLE_SIZE,
  MAX_SHARE_TTL_DAYS,
  mergeReportSettings,
  parseFormats,
  parseReportSettings,
  REPORT_FORMATS,
  SCHEDULE_PERIODS,
  stampSchedule,
} from './settings.ts'
export type { ReportSchedule, ReportSettings, SchedulePeriod } from './settings.ts'
export { hashShareToken, ipPrefixOf, isShareTokenShaped, mintShareToken, SHARE_TOKEN_PREFIX } from './share.ts'
export { verifyReport } from './verify.ts'
export type { ReportCheck, ReportVerification } from './verify.ts'
