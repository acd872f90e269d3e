// The one identifier rule: what the Vault accepts for every name it stores, puts in a URL path, a
// token claim or an upstream header (agent ids, tool names, policy and rule ids, tenant ids, request
// ids). 1–128 characters of ASCII letters, digits, ".", "_", ":" and "-", starting with a letter or
// digit. Every such value is then header-safe as is (the gateway never has to drop or encode it),
// needs no escaping in a path (encodeURIComponent changes ":" only), can never be a "." or ".."
// path segment, and fits the router's parameter limit. Session ids are the one free-text field
// (the client's LEDGIX_SESSION_ID is often "" or a caller's own key): header text, see below.

/** Longest identifier (the policy rule this one folds in always had this bound). */
export const IDENTIFIER_MAX_LENGTH = 128

/** The rule as a JSON Schema / ECMAScript pattern (Ajv quotes it in its 400 detail). */
export const IDENTIFIER_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$'

/** An identifier or "" (fields whose empty value means "none", such as the policy hint). */
export const OPTIONAL_IDENTIFIER_PATTERN = '^(?:[A-Za-z0-9][A-Za-z0-9_.:-]{0,127})?$'

/** The rule in words, for messages. */
export const IDENTIFIER_HINT = 'letters, digits, "_", ".", ":" or "-", starting with a letter or digit, at most 128 characters'

/**
 * Header text: "" or 1–128 printable ASCII characters (U+0020–U+007E) with no space at either end,
 * so the value is a valid HTTP field value that no proxy trims or rewrites (RFC 9110 §5.5).
 */
export const HEADER_TEXT_PATTERN = '^(?:[!-~](?:[ -~]{0,126}[!-~])?)?$'

/** Most a URL carries for one identifier: every character percent-encoded (3 bytes each). */
export const IDENTIFIER_MAX_ENCODED_LENGTH = 3 * IDENTIFIER_MAX_LENGTH

/** 1 = allowed anywhere, 2 = allowed after the first character, 0 = never. ASCII only. */
const CLASS = new Uint8Array(128)
for (let c = 0; c < 128; c++) {
  const alnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
  CLASS[c] = alnum ? 1 : c === 95 || c === 46 || c === 58 || c === 45 ? 2 : 0
}

/** true when `s` follows IDENTIFIER_PATTERN (a charCode loop: this runs on the clearance hot path). */
export function isIdentifier(s: string): boolean {
  const n = s.length
  if (n === 0 || n > IDENTIFIER_MAX_LENGTH) return false
  if (s.charCodeAt(0) >= 128 || CLASS[s.charCodeAt(0)] !== 1) return false
  for (let i = 1; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c >= 128 || CLASS[c] === 0) return false
  }
  return true
}

/** true when `s` follows HEADER_TEXT_PATTERN. */
export function isHeaderText(s: string): boolean {
  const n = s.length
  if (n === 0) return true
  if (n > IDENTIFIER_MAX_LENGTH || s.charCodeAt(0) === 32 || s.charCodeAt(n - 1) === 32) return false
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 32 || c > 126) return false
  }
  return true
}
