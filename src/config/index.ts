// Public surface of src/config: the loader, its errors, the JSON Schema and the Config contract.
export { loadConfig, parseConfigText } from './load.ts'
export { ConfigError, formatProblems } from './problems.ts'
export type { ConfigProblem } from './problems.ts'
export { configJsonSchema } from './json-schema.ts'
export { parseDuration, parseSize } from './units.ts'
export { ADMIN_LISTENER_DEFAULTS, GATEWAY_LISTENER_DEFAULTS, VAULT_LISTENER_DEFAULTS } from './defaults.ts'
export { defaultListenerLimits, normalizeListenerLimits } from './normalize-listener.ts'
export type {
  AdminConfig,
  Config,
  GatewayConfig,
  JwksConfig,
  ListenConfig,
  ListenerLimits,
  LoggingConfig,
  Mode,
  RemoteVaultConfig,
  RouteConfig,
  RouteMatch,
  TokenConfig,
  UpstreamConfig,
} from './types.ts'
export type { VaultJudgeConfig, VaultRateLimitConfig, VaultServerConfig, VaultStoreConfig } from './types-vault.ts'
