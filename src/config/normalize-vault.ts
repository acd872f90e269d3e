// Normalises the `vault_server:` YAML section (already schema-validated, defaults applied) into
// VaultServerConfig. Owned by the Vault work together with schema-vault.ts and types-vault.ts.
import type { Static } from '@sinclair/typebox'
import type { VaultServerSchema } from './schema-vault.ts'
import type { VaultServerConfig } from './types-vault.ts'
import { parseDuration } from './units.ts'

export type VaultServerYaml = Static<typeof VaultServerSchema>

/** `problems` receives [yamlPathSuffix, message] pairs for values the schema could not judge. */
export function normalizeVaultServer(raw: VaultServerYaml, problems: Array<[string, string]>): VaultServerConfig {
  const ttl = parseDuration(raw.token_ttl ?? '300s')
  if (ttl === null || ttl < 1000) problems.push(['token_ttl', `expected a duration of at least 1s like "300s", got "${raw.token_ttl}"`])
  return {
    listen: { host: raw.listen?.host ?? '127.0.0.1', port: raw.listen?.port ?? 8000 },
    dataDir: raw.data_dir ?? './data',
    tokenTtlMs: ttl ?? 300_000,
    issuer: raw.issuer ?? 'alcv-vault',
    audience: raw.audience ?? 'ledgix-sdk',
    adminApiKey: raw.admin_api_key ?? null,
  }
}
