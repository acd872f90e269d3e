// Listener limits (schema-listener.ts) → ListenerLimits in milliseconds, with the one rule across
// them: headers must be due no later than the whole request (node:http enforces the shorter anyway).
import type { ListenerDefaults } from './schema-listener.ts'
import type { ListenerLimits } from './types.ts'
import { parseDuration } from './units.ts'

export interface RawListenerLimits {
  headers_timeout?: string
  request_timeout?: string
  idle_timeout?: string
  keep_alive_timeout?: string
  max_connections?: number
  max_connections_per_ip?: number
}

/** `problems` receives [key, message] pairs; the caller prefixes its section's path. */
export function normalizeListenerLimits(raw: RawListenerLimits, d: ListenerDefaults, problems: Array<[string, string]>): ListenerLimits {
  const ms = (key: keyof RawListenerLimits & `${string}_timeout`, fallback: string): number => {
    const text = raw[key] ?? fallback
    const parsed = parseDuration(text)
    if (parsed === null || parsed < 1) {
      problems.push([key, `expected a duration above 0 like "${fallback}", got ${JSON.stringify(text)}`])
      return parseDuration(fallback)!
    }
    return parsed
  }
  const limits: ListenerLimits = {
    headersTimeoutMs: ms('headers_timeout', d.headersTimeout),
    requestTimeoutMs: ms('request_timeout', d.requestTimeout),
    idleTimeoutMs: ms('idle_timeout', d.idleTimeout),
    keepAliveTimeoutMs: ms('keep_alive_timeout', d.keepAliveTimeout),
    maxConnections: raw.max_connections ?? d.maxConnections,
    maxConnectionsPerIp: raw.max_connections_per_ip ?? d.maxConnectionsPerIp,
  }
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) {
    problems.push(['headers_timeout', `must not exceed request_timeout (${raw.request_timeout ?? d.requestTimeout}): the headers are part of the request`])
  }
  return limits
}

/** The limits a hand-built config (tests, embedding) gets when it names none: the listener's defaults. */
export function defaultListenerLimits(d: ListenerDefaults): ListenerLimits {
  return normalizeListenerLimits({}, d, [])
}
