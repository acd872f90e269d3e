// Hashes the policy engine records: content hashes of registrations and the evaluation hashes of
// ledger v3 (spec §7.2). Canonical JSON and its hash are src/token's, the same canonicaliser as
// tool_args_hash.
export { canonicalHash, canonicalJson } from '../../token/index.ts'
