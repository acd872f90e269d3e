// Normalised settings of the embedded Vault (all-in-one and vault-only modes). Owned by the Vault work;
// the YAML shape is in schema-vault.ts.

export interface VaultServerConfig {
  listen: { host: string; port: number }
  /** Directory for the SQLite store and signing keys. */
  dataDir: string
  /** A-JWT lifetime. */
  tokenTtlMs: number
  issuer: string
  audience: string
  adminApiKey: string | null
}
