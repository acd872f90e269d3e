// Public surface of src/core: the leaf module every other module may import.
export {
  ERRORS,
  LedgixError,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  WWW_AUTHENTICATE_INVALID_TOKEN,
  WWW_AUTHENTICATE_MISSING,
  isErrorCode,
  problemFor,
} from './errors.ts'
export type { ErrorCode, Problem } from './errors.ts'
export { ManualClock, systemClock } from './clock.ts'
export type { Clock } from './clock.ts'
export type { ApiKeyId, Brand, Jti, Kid, LeafIndex, TenantId, TreeSize } from './ids.ts'
export { BURN_REFUSAL_DETAIL, burnRefusalFor } from './vault-port.ts'
export type { BurnFailureCode, BurnRequest, BurnResult, JwksDocument, JwksFetchResult, PublicJwk, VaultPort } from './vault-port.ts'
export type { StoreStats } from './store-stats.ts'
export { uuidv7 } from './uuid7.ts'
export {
  HEADER_TEXT_PATTERN,
  IDENTIFIER_HINT,
  IDENTIFIER_MAX_ENCODED_LENGTH,
  IDENTIFIER_MAX_LENGTH,
  IDENTIFIER_PATTERN,
  OPTIONAL_IDENTIFIER_PATTERN,
  isHeaderText,
  isIdentifier,
} from './identifier.ts'
export { checkEd25519PublicKey } from './ed25519-public-key.ts'
export type { PublicKeyProblem } from './ed25519-public-key.ts'
