// Hashes the policy engine records: content hashes of registrations and the evaluation hashes of
// ledger v3 (spec §7.2). Canonical JSON is src/token's, the same canonicaliser as tool_args_hash.
import { hash } from 'node:crypto'
import { canonicalJson } from '../../token/index.ts'

export { canonicalJson }

/** Lowercase hex SHA-256 of a UTF-8 string. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex')
}

/** Lowercase hex SHA-256 of the canonical JSON of a JSON value. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value))
}
