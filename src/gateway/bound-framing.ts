// What a bind_args route requires of a request besides its body bytes (issue 16 §2; design
// docs/design/bound-args.md "Around the body"): the body is the only place arguments can come from
// and there is one way to read it. So no query string (frameworks merge it into the arguments), no
// content or transfer coding but chunked (the checked bytes would not be the content an upstream
// decodes), and, when there is a body, one Content-Type that declares JSON in UTF-8 (a form or
// Latin-1 reading of the same bytes is another set of arguments). Pure: reads header lists only.

export type BoundFramingCode = 'query_not_allowed' | 'body_content_encoding' | 'body_media_type'

export type BoundFraming =
  | { ok: true; hasContentType: boolean }
  | { ok: false; code: BoundFramingCode; detail: string }

const WITH_TYPE: BoundFraming = { ok: true, hasContentType: true }
const WITHOUT_TYPE: BoundFraming = { ok: true, hasContentType: false }

const QUERY: BoundFraming = {
  ok: false,
  code: 'query_not_allowed',
  detail: 'This route binds the arguments to the JSON body; a query string would be a second, unchecked set of arguments (send them in the body).',
}
const REPEATED_TYPE: BoundFraming = {
  ok: false,
  code: 'body_media_type',
  detail: 'Send exactly one Content-Type header (a repeated one, or one spelled with "_", is read differently by different servers).',
}
const UNDERSCORE_ENCODING: BoundFraming = {
  ok: false,
  code: 'body_content_encoding',
  detail: 'A Content-Encoding header spelled with "_" is read as Content-Encoding by some servers; send the body without a content coding.',
}
/** After the body has arrived: a non-empty body needs its type declared. */
export const MISSING_TYPE: { ok: false; code: 'body_media_type'; detail: string } = {
  ok: false,
  code: 'body_media_type',
  detail: 'A body on this route needs Content-Type: application/json (an undeclared body may be sniffed, or ignored, by the upstream).',
}

const CONTENT_TYPE = 'content-type'
const CONTENT_ENCODING = 'content-encoding'

/**
 * Header-time checks, before any body byte is read. `transferEncoding` is node's parsed
 * Transfer-Encoding (node:http already refuses it beside Content-Length and without a final
 * chunked); anything but plain `chunked` carries a coding node does not undo.
 */
export function checkBoundFraming(rawHeaders: readonly string[], transferEncoding: string | undefined, query: string): BoundFraming {
  if (query.length > 0) return QUERY
  if (transferEncoding !== undefined && transferEncoding.trim().toLowerCase() !== 'chunked') {
    return refuse('body_content_encoding', `Transfer-Encoding ${clipValue(transferEncoding)} is not plain chunked: the gateway checks the bytes as they arrive, an upstream would decode them first.`)
  }
  let contentType: string | null = null
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!
    // Only two names matter: a length test skips every other header without allocating.
    if (name.length !== CONTENT_TYPE.length && name.length !== CONTENT_ENCODING.length) continue
    const lower = name.toLowerCase()
    const canonical = lower.replaceAll('_', '-')
    if (canonical === CONTENT_TYPE) {
      if (contentType !== null || lower !== canonical) return REPEATED_TYPE
      contentType = rawHeaders[i + 1]!
    } else if (canonical === CONTENT_ENCODING) {
      if (lower !== canonical) return UNDERSCORE_ENCODING
      const coding = firstCoding(rawHeaders[i + 1]!)
      if (coding !== null) {
        return refuse('body_content_encoding', `Content-Encoding ${clipValue(coding)}: the gateway would check the encoded bytes, the upstream would decode them; send the JSON unencoded.`)
      }
    }
  }
  if (contentType === null) return WITHOUT_TYPE
  const problem = jsonMediaTypeProblem(contentType)
  return problem === null ? WITH_TYPE : refuse('body_media_type', `Content-Type ${clipValue(contentType)} ${problem}; send application/json (charset utf-8 or none).`)
}

/** The first coding in a Content-Encoding list that is not identity; null when none. */
function firstCoding(value: string): string | null {
  for (const part of value.split(',')) {
    const coding = part.trim().toLowerCase()
    if (coding !== '' && coding !== 'identity') return coding
  }
  return null
}

/** RFC 9110 §5.6.2 tchar. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** `application/json` or a structured-syntax suffix `application/<x>+json` (RFC 6839). */
const JSON_ESSENCE = /^application\/(?:[!#$%&'*.^_`|~0-9a-z-]+(?:\+[!#$%&'*.^_`|~0-9a-z-]+)*\+)?json$/

/**
 * Why this Content-Type does not declare UTF-8 JSON, or null when it does. Deliberately narrower
 * than RFC 9110's grammar: parameter values are tokens or quoted tokens (no escapes, no ";" or ","
 * inside quotes, where parsers that split on ";" part ways with those that honour quotes), and at
 * most one charset, which must be utf-8 (parsers differ on which of two they keep).
 */
export function jsonMediaTypeProblem(value: string): string | null {
  if (value.includes(',')) return 'is a list'
  const parts = value.split(';')
  const essence = parts[0]!.trim().toLowerCase()
  if (!JSON_ESSENCE.test(essence)) return 'is not JSON'
  let charsets = 0
  for (let i = 1; i < parts.length; i++) {
    const parameter = parts[i]!.trim()
    if (parameter === '') continue
    const eq = parameter.indexOf('=')
    if (eq <= 0) return 'has a malformed parameter'
    const name = parameter.slice(0, eq)
    let v = parameter.slice(eq + 1)
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1)
    if (!TOKEN.test(name) || !TOKEN.test(v)) return 'has a malformed parameter'
    if (name.toLowerCase() !== 'charset') continue
    if (++charsets > 1) return 'names more than one charset'
    if (v.toLowerCase() !== 'utf-8') return 'declares another charset than UTF-8'
  }
  return null
}

function refuse(code: BoundFramingCode, detail: string): BoundFraming {
  return { ok: false, code, detail }
}

/** A header value as echoed in a detail: JSON-quoted, printable ASCII, at most 40 characters. */
function clipValue(value: string): string {
  const clipped = value.length <= 40 ? value : value.slice(0, 40) + '…'
  return JSON.stringify(clipped).replace(/[^\x20-\x7e]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'))
}
