// Public surface of src/observability: logger factory, metrics registry, admin server.
export { REDACT_PATHS, componentLogger, createRootLogger } from './logger.ts'
export type { LogLevel, Logger, LoggerOptions } from './logger.ts'
export { GatewayMetrics } from './metrics.ts'
export type { KeySetStatus, ReplaySource } from './metrics.ts'
export { closeServer, createAdminServer, listen } from './admin-server.ts'
export type { AdminServerOptions, Readiness } from './admin-server.ts'
