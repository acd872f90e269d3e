// Public surface of src/token: A-JWT decode/verify/mint, canonical JSON + tool_args_hash, the SDK's
// snake_case rewrite, JWK screening and the JWKS cache. Imports only src/core (and config types).
export { MAX_TOKEN_LENGTH, decodeToken } from './decode.ts'
export type { DecodedToken, TokenErrorCode, TokenFailure } from './decode.ts'
export { checkClaims, verifyDecoded, verifyToken } from './verify.ts'
export type { AJwtClaims, ClaimPolicy, VerifyResult } from './verify.ts'
export { canonicalHash, canonicalJson, toolArgsHash } from './canonical-json.ts'
export { snakeCaseKey, snakeCaseKeys } from './snake-case.ts'
export { MAX_JWKS_KEYS, MAX_KID_LENGTH, buildKeySet, importPublicJwk } from './key-set.ts'
export type { JwkImport, KeySet } from './key-set.ts'
export { mintToken } from './mint.ts'
export { DEFAULT_RETRY_BASE_MS, DEFAULT_RETRY_MAX_MS, JwksCache } from './jwks-cache.ts'
export type { JwksCacheConfig, JwksCacheOptions, JwksEvent, JwksStatus, JwksTrigger } from './jwks-cache.ts'
