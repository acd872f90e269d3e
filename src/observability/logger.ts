// The one root pino logger: JSON lines to stdout (no transports, so the bundled binary needs no
// worker files), level from config, and a redaction list as the second net behind allow-listed fields.
import { pino } from 'pino'
import type { DestinationStream, Logger } from 'pino'

export type { Logger }
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

/**
 * Paths censored wherever they appear. Callers never log headers or tokens on purpose (the access log
 * is an allow-list); this catches a careless `{ headers }` or `{ apiKey }` before it reaches disk.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'token',
  'apiKey',
  'api_key',
  'adminApiKey',
  'privateKey',
  'headers.authorization',
  'headers["x-vault-api-key"]',
  'headers["x-admin-api-key"]',
  '*.authorization',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.adminApiKey',
  '*.privateKey',
  '*.headers.authorization',
  '*.headers["x-vault-api-key"]',
]

export interface LoggerOptions {
  level: LogLevel
  /** Defaults to stdout; tests pass a sink to parse lines. */
  destination?: DestinationStream
}

export function createRootLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ledgix-gateway' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      // ISO time reads better in ops tooling than epoch ms and costs one formatted string per line.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: formatLevel },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  )
}

function formatLevel(label: string): { level: string } {
  return { level: label }
}

/** Child logger for one component, made once at load (pino pre-renders the bindings). */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component })
}
