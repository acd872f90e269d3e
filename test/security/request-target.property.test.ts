// Issue 16 class 4, as a property: for generated paths built from hostile pieces, every path the
// rule accepts has one reading. The raw split (segments decoded once) equals what each upstream
// family would make of it: decode → RFC 3986 remove_dot_segments → decode again (nginx-style, also
// merging '//'), strip ';params' first (Tomcat/Jetty), '\' as '/' and trailing dots/spaces stripped
// (IIS/Windows), and a lenient UTF-8 decoder that accepts overlong forms.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { DEFAULT_PATH_RULES, checkPath } from '../../src/gateway/request-target.ts'

/** Percent-decode to a byte string (one char per byte); a '%' not followed by two hex digits stays. */
function decodeBytes(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else out += s[i]
  }
  return out
}

/** Lenient UTF-8: overlong two-byte forms decode too (the %c0%ae trick). Byte string → text. */
function lenientUtf8(bytes: string): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes.charCodeAt(i)
    const next = bytes.charCodeAt(i + 1)
    if ((b & 0xe0) === 0xc0 && (next & 0xc0) === 0x80) {
      out += String.fromCharCode(((b & 0x1f) << 6) | (next & 0x3f))
      i++
    } else out += bytes[i]
  }
  return out
}

/** RFC 3986 §5.2.4. */
function removeDotSegments(path: string): string {
  const input = path.split('/')
  const output: string[] = []
  for (let i = 1; i < input.length; i++) {
    const seg = input[i]!
    const isLast = i === input.length - 1
    if (seg === '.') {
      if (isLast) output.push('')
    } else if (seg === '..') {
      output.pop()
      if (isLast) output.push('')
    } else output.push(seg)
  }
  return '/' + output.join('/')
}

/** The gateway's reading: split the raw path on '/', decode each segment once. */
function rawReading(path: string): string[] {
  return path.split('/').map(decodeBytes)
}

function readings(path: string): { nginx: string[]; tomcat: string[]; iis: string[]; overlong: string[] } {
  const nginx = decodeBytes(removeDotSegments(decodeBytes(path))).replace(/\/{2,}/g, '/')
  const tomcat = removeDotSegments(path.split('/').map((s) => decodeBytes(s.split(';')[0]!)).join('/'))
  const iis = removeDotSegments(
    decodeBytes(path.replaceAll('\\', '/'))
      .replaceAll('\\', '/')
      .split('/')
      .map((s) => s.replace(/[. ]+$/, ''))
      .join('/'),
  )
  const overlong = removeDotSegments(lenientUtf8(decodeBytes(path)))
  return { nginx: nginx.split('/'), tomcat: tomcat.split('/'), iis: iis.split('/'), overlong: overlong.split('/') }
}

const PIECES = [
  'a', 'admin', 'v1', '.', '..', '...', 'x.', '%2e', '%2E', '%252e', '%25', '%2525', '%2f', '%5c', '\\', ';', '%3b', ';x=1',
  '%00', '%20', '%c0%ae', '%e0%80%ae', '%u002e', '%41', '%c3%a9', '%c3', '%3f', '%', ' ', '|', '~', '-', '_', '%7e', '%ff',
]
const segment = fc.array(fc.constantFrom(...PIECES), { minLength: 0, maxLength: 3 }).map((parts) => parts.join(''))
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((segments) => '/' + segments.join('/'))

test('property: every accepted path reads the same to each upstream family as to the gateway', () => {
  let accepted = 0
  fc.assert(
    fc.property(path, (p) => {
      if (checkPath(p, DEFAULT_PATH_RULES) !== null) return
      accepted++
      const raw = rawReading(p)
      const read = readings(p)
      for (const family of ['nginx', 'tomcat', 'iis'] as const) {
        assert.deepEqual(read[family], raw, `${family} reads ${JSON.stringify(p)} differently`)
      }
      // Compared as text: the lenient decoder turns the bytes of each segment into characters.
      assert.deepEqual(read.overlong, raw.map(lenientUtf8), `an overlong-tolerant decoder reads ${JSON.stringify(p)} differently`)
    }),
    { numRuns: 20_000 },
  )
  assert.ok(accepted > 500, `only ${accepted} generated paths were accepted: the property would be vacuous`)
})

test('property: the verdict does not depend on escape case, and the strict option only removes paths', () => {
  fc.assert(
    fc.property(path, (p) => {
      const upper = p.replace(/%[0-9a-f]{2}/gi, (e) => e.toUpperCase())
      assert.equal(checkPath(upper, DEFAULT_PATH_RULES) === null, checkPath(p, DEFAULT_PATH_RULES) === null, p)
      if (checkPath(p, { rejectPercentEncoded: true }) === null) assert.equal(checkPath(p, DEFAULT_PATH_RULES), null, p)
    }),
    { numRuns: 5000 },
  )
})

/** The ASCII characters of a text, in order. */
function asciiOf(text: string): string {
  let out = ''
  for (const c of text) if (c.charCodeAt(0) < 128) out += c
  return out
}

/** The ASCII characters `after` holds more often than `before` (each as many times as it gained). */
function asciiGained(before: string, after: string): string {
  const counts = new Map<string, number>()
  for (const c of asciiOf(before)) counts.set(c, (counts.get(c) ?? 0) + 1)
  let gained = ''
  for (const c of asciiOf(after)) {
    const n = counts.get(c) ?? 0
    if (n === 0) gained += c
    else counts.set(c, n - 1)
  }
  return gained
}

/** '%XX' escapes of a code point's UTF-8 bytes. */
function escapeCodePoint(cp: number): string {
  return [...Buffer.from(String.fromCodePoint(cp), 'utf8')].map((b) => '%' + b.toString(16).toUpperCase().padStart(2, '0')).join('')
}

test('property: an accepted escape of a non-ASCII character never becomes ASCII under NFKC', () => {
  const codePoint = fc.oneof(
    fc.integer({ min: 0x80, max: 0xd7ff }),
    fc.integer({ min: 0xe000, max: 0x10ffff }),
    // Denser where the compatibility forms live: Latin-1, general punctuation, letterlike, fullwidth.
    fc.integer({ min: 0xa0, max: 0xff }),
    fc.integer({ min: 0x2000, max: 0x22ff }),
    fc.integer({ min: 0xfe00, max: 0xffef }),
  )
  let accepted = 0
  fc.assert(
    fc.property(fc.array(codePoint, { minLength: 1, maxLength: 3 }), fc.constantFrom('admin', '', '.', 'x'), (cps, around) => {
      const p = '/public/' + around + cps.map(escapeCodePoint).join('') + around
      if (checkPath(p, DEFAULT_PATH_RULES) !== null) return
      accepted++
      const decoded = decodeURIComponent(p)
      // A gain is the danger (fullwidth '／' → '/'); a combining mark may compose with the ASCII letter
      // before it ('n' + U+0300 → 'ǹ'), which loses one, and no upstream reads that as the route.
      assert.equal(asciiGained(decoded, decoded.normalize('NFKC')), '', `${p} gains ASCII under NFKC`)
      for (const cp of cps) assert.ok(![0xa5, 0x20a9, 0x2044, 0x2215, 0x2216, 0x29f5].includes(cp), `${p}: best-fit separator accepted`)
    }),
    { numRuns: 20_000 },
  )
  assert.ok(accepted > 1000, `only ${accepted} accepted`)
})
