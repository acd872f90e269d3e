// Issue 16 §2 around the body, as properties of the pure header check (src/gateway/bound-framing.ts):
// whatever Content-Type it lets through, every independent reader — node:util's WHATWG MIMEType, a
// split-on-";" reader keeping the first charset and one keeping the last, a regex that finds any
// "charset=" — reads as JSON in UTF-8; the spellings real clients send always pass. Header lists:
// a repeated or "_"-spelled Content-Type, any coding but identity, any query → refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MIMEType } from 'node:util'
import fc from 'fast-check'
import { checkBoundFraming, jsonMediaTypeProblem } from '../../src/gateway/bound-framing.ts'

const JSON_ESSENCE = /^application\/([a-z0-9.!#$&^_-]+\+)?json$/

function whatwgReadsUtf8Json(value: string): boolean {
  try {
    const m = new MIMEType(value)
    const charset = m.params.get('charset')
    return JSON_ESSENCE.test(m.essence) && (charset === null || charset.toLowerCase() === 'utf-8')
  } catch {
    return false
  }
}

/** A naive reader: split on ";", strip quotes, keep the first or the last charset. */
function naiveReadsUtf8Json(value: string, keep: 'first' | 'last'): boolean {
  const [essence = '', ...params] = value.split(';')
  let charset: string | null = null
  for (const p of params) {
    const [name = '', v = ''] = p.split('=')
    if (name.trim().toLowerCase() !== 'charset') continue
    if (keep === 'last' || charset === null) charset = v.trim().replace(/^"|"$/g, '').toLowerCase()
  }
  return JSON_ESSENCE.test(essence.trim().toLowerCase()) && (charset === null || charset === 'utf-8')
}

function everyCharsetIsUtf8(value: string): boolean {
  for (const m of value.toLowerCase().matchAll(/charset\s*=\s*"?([^";,\s]*)/g)) if (m[1] !== 'utf-8') return false
  return true
}

const essence = fc.constantFrom(
  'application/json', 'APPLICATION/JSON', 'Application/Json', 'application/vnd.api+json', 'application/problem+json',
  'application/json5', 'application/jsonl', 'text/json', 'application/x-www-form-urlencoded', 'multipart/form-data',
  'text/plain', 'application/octet-stream', 'application/+json', 'application/json+x', 'application/ json', '', 'json',
)
const parameter = fc.constantFrom(
  'charset=utf-8', 'charset=UTF-8', 'charset="utf-8"', 'Charset="UTF-8"', 'charset=utf8', 'charset=latin1', 'charset=iso-8859-1',
  'charset=utf-16', 'charset=utf-16le', 'charset="latin1"', 'charset=', 'charset = utf-8', 'charset=utf-8 x', 'foo=bar', 'boundary=x',
  'x="a;charset=latin1"', 'x="a,b"', 'x="a\\"b"', 'x=', '=x', 'x', '', ' ', 'charset="utf-8', 'charset=utf-8"',
)
const separator = fc.constantFrom(';', '; ', ' ;', ' ; ', ',', ';;', '\t;')
const contentType = fc
  .tuple(essence, fc.array(fc.tuple(separator, parameter), { maxLength: 3 }), fc.constantFrom('', ' ', '\t'))
  .map(([e, ps, pad]) => pad + e + ps.map(([sep, p]) => sep + p).join('') + pad)

test('a Content-Type the gateway accepts is UTF-8 JSON to every reader (WHATWG, split-first, split-last, any charset=)', () => {
  let accepted = 0
  fc.assert(
    fc.property(contentType, (value) => {
      if (jsonMediaTypeProblem(value) !== null) return
      accepted++
      assert.ok(whatwgReadsUtf8Json(value), `WHATWG MIMEType: ${JSON.stringify(value)}`)
      assert.ok(naiveReadsUtf8Json(value, 'first'), `split, first charset: ${JSON.stringify(value)}`)
      assert.ok(naiveReadsUtf8Json(value, 'last'), `split, last charset: ${JSON.stringify(value)}`)
      assert.ok(everyCharsetIsUtf8(value), `any charset=: ${JSON.stringify(value)}`)
    }),
    { numRuns: 5000 },
  )
  assert.ok(accepted > 300, `only ${accepted} accepted`)
})

test('a Content-Type any reader sees as non-JSON or non-UTF-8 is refused', () => {
  fc.assert(
    fc.property(contentType, (value) => {
      const someReaderDiffers = !whatwgReadsUtf8Json(value) || !naiveReadsUtf8Json(value, 'first') || !naiveReadsUtf8Json(value, 'last') || !everyCharsetIsUtf8(value)
      if (someReaderDiffers) assert.notEqual(jsonMediaTypeProblem(value), null, JSON.stringify(value))
    }),
    { numRuns: 5000 },
  )
})

test('what clients send passes', () => {
  for (const value of ['application/json', 'application/json; charset=utf-8', 'application/json;charset=UTF-8', 'application/json; charset="utf-8"', 'application/vnd.api+json', 'application/merge-patch+json; charset=utf-8']) {
    assert.equal(jsonMediaTypeProblem(value), null, value)
  }
})

const headerName = fc.constantFrom('Content-Type', 'content-type', 'CONTENT-TYPE', 'Content_Type', 'content_type', 'Content-Encoding', 'content-encoding', 'Content_Encoding', 'X-Other', 'Content-Length')
const headerValue = fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'identity', 'gzip', 'br', 'identity, gzip', '', '7')

test('header lists: accepted ⇔ at most one Content-Type, spelled with "-", JSON in UTF-8; no coding but identity; no query', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }), fc.constantFrom(undefined, 'chunked', 'Chunked', 'gzip, chunked'), fc.constantFrom('', '?', '?a=1'), (headers, te, query) => {
      const raw = headers.flat()
      const result = checkBoundFraming(raw, te, query)
      const types = headers.filter(([n]) => n.toLowerCase().replaceAll('_', '-') === 'content-type')
      const encodings = headers.filter(([n]) => n.toLowerCase().replaceAll('_', '-') === 'content-encoding')
      const expected =
        query === '' &&
        (te === undefined || te.toLowerCase() === 'chunked') &&
        types.length <= 1 &&
        types.every(([n, v]) => !n.includes('_') && jsonMediaTypeProblem(v) === null) &&
        encodings.every(([n, v]) => !n.includes('_') && v.split(',').every((c) => ['', 'identity'].includes(c.trim())))
      assert.equal(result.ok, expected, JSON.stringify({ headers, te, query, result }))
      if (result.ok) assert.equal(result.hasContentType, types.length === 1)
      else assert.ok(['query_not_allowed', 'body_content_encoding', 'body_media_type'].includes(result.code))
    }),
    { numRuns: 3000 },
  )
})
