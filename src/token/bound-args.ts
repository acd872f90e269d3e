// The bind_args: exact decision on a buffered body: accepted only when the body has exactly one
// reading (strict-json.ts; no two keys of one object alike but for case, case-fold.ts) and that
// reading, or its SDK snake_case rewrite, hashes to the token's tool_args_hash (spec §6). Pure: the
// gateway reads the body, this decides.
import { findCasePair } from './case-fold.ts'
import { toolArgsHash } from './canonical-json.ts'
import { snakeCaseKeysExact } from './snake-case.ts'
import { pointerSuffix, readStrictJson } from './strict-json.ts'
import type { StrictJsonCode } from './strict-json.ts'

export type BoundArgsCode = StrictJsonCode | 'body_key_collision' | 'tool_args_mismatch'
export type BoundArgsResult = { ok: true } | { ok: false; code: BoundArgsCode; detail: string }

const OK: BoundArgsResult = { ok: true }
const MISMATCH: BoundArgsResult = { ok: false, code: 'tool_args_mismatch', detail: 'The request body does not hash to the token\'s tool_args_hash.' }
/** Spec §6: absent tool_args hash as {}; a zero-length body is that absence (a `null` body is not). */
const EMPTY_ARGS_HASH = toolArgsHash({})

/**
 * Does `body` carry exactly the approved arguments? The camelCase → snake_case reading stays because
 * the SDK rewrites every key before the Vault hashes it (spec §1, §6 caveat): an agent's real tool
 * call keeps its camelCase keys, so without it a JS agent could never use a bound route. It is only
 * taken when no two keys of one object rewrite to the same key.
 */
export function matchBoundArgs(body: Buffer, expectedHash: string): BoundArgsResult {
  if (body.length === 0) return expectedHash === EMPTY_ARGS_HASH ? OK : MISMATCH
  const read = readStrictJson(body)
  if (!read.ok) return read
  // Only capitals or non-ASCII characters let two distinct keys fold alike (case-fold.ts).
  if (read.hasUpperKey || read.hasNonAsciiKey) {
    const pair = findCasePair(read.value)
    if (pair !== null) {
      return {
        ok: false,
        code: 'body_duplicate_key',
        detail: `keys ${quote(pair.first)} and ${quote(pair.second)} differ only in case: case-insensitive readers (Go's encoding/json) take them for one key and keep the last${pointerSuffix(pair.path)}`,
      }
    }
  }
  // No ASCII capital in any key: the rewrite is the identity, one hash decides.
  if (!read.hasUpperKey) return toolArgsHash(read.value) === expectedHash ? OK : MISMATCH
  const rewritten = snakeCaseKeysExact(read.value)
  if (!rewritten.ok) {
    const c = rewritten.collision
    return {
      ok: false,
      code: 'body_key_collision',
      detail: `keys ${quote(c.first)} and ${quote(c.second)} both become ${quote(c.rewritten)} under the SDK's camelCase → snake_case rewrite (spec §1), so one of them would go unchecked${pointerSuffix(c.path)}`,
    }
  }
  // camelCase keys usually mean an SDK caller's own arguments: try the rewritten reading first.
  if (toolArgsHash(rewritten.value) === expectedHash || toolArgsHash(read.value) === expectedHash) return OK
  return MISMATCH
}

/** A key as it appears in a detail: JSON-quoted, at most 40 characters. */
function quote(key: string): string {
  return JSON.stringify(key.length <= 40 ? key : key.slice(0, 40) + '…')
}
