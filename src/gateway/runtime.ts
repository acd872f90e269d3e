// The compiled, swappable form of the parts of Config the hot path reads: route table (with pools),
// claim policy, trusted proxies. Built whole before a swap, so a reload is all-or-nothing.
import type { Logger } from 'pino'
import type { Config } from '../config/index.ts'
import type { ClaimPolicy } from '../token/index.ts'
import type { PathRules } from './request-target.ts'
import { compileRouteTable } from './route-table.ts'
import type { RouteTable } from './route-table.ts'
import { TrustedProxies } from './trusted-proxies.ts'

export interface GatewayRuntime {
  readonly routes: RouteTable
  readonly claimPolicy: ClaimPolicy
  readonly trusted: TrustedProxies
  /** gateway.path_rules (request-target.ts): applied to every request before matching. */
  readonly pathRules: PathRules
}

export function claimPolicyOf(config: Config): ClaimPolicy {
  return {
    issuer: config.token.issuer,
    audience: config.token.audience,
    subject: config.token.subject,
    // JWT times are seconds; config durations are milliseconds.
    clockSkewSeconds: Math.floor(config.token.clockSkewMs / 1000),
    requireExp: config.token.requireExp,
  }
}

/** Throws (with an operator-facing message) when something cannot be compiled; nothing is left open. */
export function compileRuntime(config: Config, logger: Logger): GatewayRuntime {
  const trusted = new TrustedProxies(config.gateway.trustedProxies)
  const routes = compileRouteTable(config.routes, logger)
  const pathRules: PathRules = Object.freeze({ rejectPercentEncoded: config.gateway.pathRules.rejectPercentEncoded })
  return { routes, claimPolicy: claimPolicyOf(config), trusted, pathRules }
}
