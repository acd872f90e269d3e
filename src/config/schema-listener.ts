// The YAML keys every listener (gateway, admin, vault_server) shares for its connection limits:
// header / request / idle / keep-alive timeouts and connection caps. Normalised by
// normalize-listener.ts into ListenerLimits; enforced by src/observability/listener-guard.ts.
import { Type } from '@sinclair/typebox'
import { DURATION_PATTERN } from './units.ts'

/** The defaults one listener advertises (YAML durations as strings). */
export interface ListenerDefaults {
  headersTimeout: string
  requestTimeout: string
  idleTimeout: string
  keepAliveTimeout: string
  maxConnections: number
  maxConnectionsPerIp: number
}

function Duration(description: string, def: string) {
  return Type.String({ pattern: DURATION_PATTERN, default: def, description: `${description} A duration like "30s" (ms, s, m, h, d).` })
}

/** Properties to spread into a listener's section of the schema. */
export function listenerLimitProperties(d: ListenerDefaults) {
  return {
    headers_timeout: Type.Optional(Duration('The request line and headers must arrive within this (408 and close otherwise).', d.headersTimeout)),
    request_timeout: Type.Optional(Duration('The whole request, headers and body, must arrive within this (408 and close otherwise).', d.requestTimeout)),
    idle_timeout: Type.Optional(Duration('A connection with no traffic either way for this long while a request is open is closed.', d.idleTimeout)),
    keep_alive_timeout: Type.Optional(Duration('An idle keep-alive connection between requests is closed after this.', d.keepAliveTimeout)),
    max_connections: Type.Optional(
      Type.Integer({ minimum: 0, default: d.maxConnections, description: 'Open connections per process; further ones are closed on accept (0 = no cap).' }),
    ),
    max_connections_per_ip: Type.Optional(
      Type.Integer({ minimum: 0, default: d.maxConnectionsPerIp, description: 'Open connections one client address may hold; further ones are closed on accept (0 = no cap).' }),
    ),
  }
}
