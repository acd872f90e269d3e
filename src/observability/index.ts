// Public surface of src/observability: logger factory, metrics registry, admin server.
export { LOG_BUFFER_BYTES, LOG_FLUSH_INTERVAL_MS, REDACT_PATHS, componentLogger, createRootLogger, isoTimeField, rawLineTarget } from './logger.ts'
export { NUMBER_MAX_BYTES, TIME_FIELD_MAX_BYTES, jsonStringMaxBytes, putAscii, putBytes, putJsonString, putMillis, putTimeField, putUint, utf8Bytes } from './line-bytes.ts'
export type { LineSink, LogLevel, Logger, LoggerOptions, RawLineTarget } from './logger.ts'
export { GatewayMetrics } from './metrics.ts'
export type { KeySetStatus, ReplaySource, ReviewSweepStats } from './metrics.ts'
export { closeServer, createAdminServer, listen } from './admin-server.ts'
export type { AdminServerOptions, Readiness } from './admin-server.ts'
