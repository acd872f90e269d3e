// The crypto seam of the ledger: the pure code takes these objects instead of importing node:crypto,
// so the server and CLI pass node:crypto (node-crypto.ts) and a browser passes @noble/ed25519 with a
// SHA-256 of its choice — and both run the very same verifier (ARCHITECTURE.md "Ledger").

/** SHA-256 only: what Merkle hashing and event/checkpoint hashing need. */
export interface LedgerHasher {
  sha256(data: Uint8Array): Uint8Array
}

export interface LedgerCrypto extends LedgerHasher {
  /**
   * Pure Ed25519 (RFC 8032) verification of `signature` over `message` under a raw 32-byte key.
   * Must return false, never throw, for malformed input. Callers screen keys with
   * checkEd25519PublicKey first: OpenSSL accepts an all-zero S under a small-order key for any message.
   */
  verifyEd25519(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

/** Signs receipts and checkpoints. `keyId` is the kid published in the JWKS. */
export interface LedgerSigner {
  readonly keyId: string
  sign(message: Uint8Array): Uint8Array
}

/** The only signature algorithm the ledger writes or accepts (spec §7.4, §7.5: exact, case-sensitive). */
export const LEDGER_SIGNATURE_ALGORITHM = 'Ed25519'
