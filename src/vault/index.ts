// Public surface of src/vault: the embedded Vault API server, the in-process VaultPort for
// all-in-one mode, the key ring and API-key helpers the CLI uses, and the ledger hook.
export { createVaultServer, startVaultServer } from './server.ts'
export type { VaultServer, VaultServerOptions } from './server.ts'
export { createInProcessVaultPort } from './in-process-port.ts'
export { KeyRing } from './key-ring.ts'
export type { EnvSigningKey, KeyRingOptions, Signer } from './key-ring.ts'
export { DEFAULT_TENANT_ID, apiKeyView, hashApiKey, newApiKey, seedBootstrapKey } from './api-keys.ts'
export type { NewApiKey } from './api-keys.ts'
export { createStoreLedgerSink, decisionEventFor } from './ledger-sink.ts'
export type { EventEvidence, LedgerSink } from './ledger-sink.ts'
export { JWKS_MAX_AGE_SECONDS } from './routes/public.ts'
export type { AuthContext, VaultContext } from './context.ts'
export { openVaultStore, postgresOptionsOf } from './open-store.ts'
export {
  DEFAULT_SCRYPT_PARAMS,
  SETUP_TENANT,
  hashPassword,
  isEmail,
  isSetupRequired,
  normalizeEmail,
  passwordProblem,
  removeSetupToken,
  sessionBoot,
} from './dashboard/auth/index.ts'
export type { DashboardAuthOptions, ScryptParams, SessionBoot } from './dashboard/auth/index.ts'
