// Public surface of src/ledger: the pure core (also reachable alone through browser.ts, which has no
// `node:` import), the node:crypto implementations, and the store-backed service the Vault and CLI use.
export { base64urlDecode, base64urlEncode, bytesToHex, digestFromHex, hexToBytes } from './bytes.ts'
export { compareCborKeys, encodeCbor, Float64Json, MAX_CBOR_DEPTH } from './cbor.ts'
export type { CborValue } from './cbor.ts'
export {
  buildCheckpointPayload,
  CHECKPOINT_HASH_DOMAIN,
  checkCheckpointHash,
  checkCheckpointPayload,
  checkCheckpointSignature,
  computeCheckpointHash,
  GENESIS_PREV_CHECKPOINT_HASH,
  signCheckpoint,
} from './checkpoint.ts'
export type { CheckpointFields, CheckpointRow, SignedCheckpoint } from './checkpoint.ts'
export { LEDGER_SIGNATURE_ALGORITHM } from './crypto.ts'
export type { LedgerCrypto, LedgerHasher, LedgerSigner } from './crypto.ts'
export {
  buildEventPayloadMap,
  computeEventHash,
  computeLeafHash,
  CURRENT_CANONICAL_VERSION,
  encodeEventPayload,
  EVENT_HASH_DOMAIN,
  isCanonicalVersion,
} from './event.ts'
export type { CanonicalVersion, EventHashInput } from './event.ts'
export { decodeKeyVersion, parseJwks, resolveBundleKeys } from './keys.ts'
export type { BundleKeyPolicy, KeySet, ResolvedKeys } from './keys.ts'
export { HASH_BYTES, hashChildren, hashLeaf, splitPoint } from './merkle/hash.ts'
export {
  appendLeaves,
  consistencyProofFromNodes,
  inclusionProofFromNodes,
  MemoryNodeStore,
  rootFromNodes,
} from './merkle/nodes.ts'
export type { CompleteNode, NodeReader } from './merkle/nodes.ts'
export { merkleConsistencyPath, merkleInclusionPath, merkleRoot } from './merkle/reference.ts'
export { verifyConsistency, verifyInclusion } from './merkle/verify.ts'
export type { ConsistencyInput, InclusionInput } from './merkle/verify.ts'
export {
  buildReceiptPayload,
  checkReceiptAlgorithm,
  checkReceiptPayload,
  checkReceiptSignature,
  signReceipt,
} from './receipt.ts'
export type { ReceiptFields, ReceiptRow, SignedReceipt } from './receipt.ts'
export { verifyProofBundle } from './verify-bundle.ts'
export type { VerifyBundleOptions } from './verify-bundle.ts'
export { verifyLedger } from './verify-ledger.ts'
export type { LedgerVerification, VerifyLedgerOptions } from './verify-ledger.ts'
export { BUNDLE_STEP_LABELS, REDACTED_NOTE } from './verify-steps.ts'
export type { BundleStep, BundleVerification, StepStatus, VerificationStep } from './verify-steps.ts'
export {
  DEFAULT_MMD_SECONDS,
  parseKeyVersion,
  parseLedgerCheckpoint,
  parseLedgerEntry,
  parseProofBundle,
} from './wire.ts'
export type {
  ConsistencyProof,
  InclusionProof,
  JsonObject,
  KeyVersion,
  LedgerCheckpoint,
  LedgerEntry,
  ProofBundle,
} from './wire-types.ts'
export type { ParseResult } from './wire.ts'
export { bodyEncryptionDescriptor, parseEncryptionKey } from './body-cipher.ts'
export { buildLedgerRecord, ledgerEntryOf } from './event-record.ts'
export type { EventBodyValues } from './event-record.ts'
export { DEFAULT_SEAL_BATCH_SIZE, DEFAULT_SEAL_INTERVAL_MS, LedgerService } from './ledger-service.ts'
export type { LastVerification, LedgerServiceOptions } from './ledger-service.ts'
export { LedgerSealer } from './sealer.ts'
export type { SealerOptions } from './sealer.ts'
export { ledgerCheckpointOf } from './store-nodes.ts'
export type { ProofFailure, ProofResult } from './store-proofs.ts'
export { verifyStoredLedger } from './verify-store.ts'
export type { LedgerMismatch, MismatchKind, StoreVerification, VerifyMode, VerifyStoreOptions } from './verify-store.ts'
export {
  createNodeLedgerCrypto,
  createNodeSigner,
  ed25519PrivateKeyFromSeed,
  ed25519PublicKeyObject,
  nodeLedgerCrypto,
} from './node-crypto.ts'
