// The byte writers the access log uses (src/observability/line-bytes.ts) must write exactly what
// JSON.stringify and String() would: the access line is parsed by log pipelines, and a line built
// as bytes must read the same as the one built as a string before.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  NUMBER_MAX_BYTES,
  TIME_FIELD_MAX_BYTES,
  jsonStringMaxBytes,
  putAscii,
  putJsonString,
  putMillis,
  putTimeField,
  putUint,
} from '../../src/observability/index.ts'

/** Runs one writer at a non-zero offset into a buffer with a guard byte pattern around it. */
function written(max: number, put: (buf: Buffer, off: number) => number): string {
  const buf = Buffer.alloc(max + 16, 0xff)
  const end = put(buf, 7)
  assert.ok(end - 7 <= max, `wrote ${end - 7} bytes, more than the reserved ${max}`)
  assert.equal(buf[6], 0xff, 'wrote before its offset')
  assert.equal(buf[end], 0xff, 'wrote past the offset it returned')
  return buf.toString('utf8', 7, end)
}

test('putJsonString writes JSON.stringify(value) as UTF-8, escapes and non-ASCII included', () => {
  const values = [
    '',
    '/v1/charges',
    'GET',
    'stripe.refund',
    'a"b',
    'back\\slash',
    'tab\there',
    'nl\n\r\b\f',
    '\u0000\u001f\u007f',
    '/p/é/日本/😀',
    'lone \ud800 surrogate',
    'lone \udfff low',
    '~ !#$%&\'()*+,-./:;<=>?@[]^_`{|}',
    '\u2028\u2029',
  ]
  for (const value of values) {
    assert.equal(written(jsonStringMaxBytes(value), (b, o) => putJsonString(b, o, value)), JSON.stringify(value), JSON.stringify(value))
  }
  const worst = '\u0001'.repeat(50)
  assert.equal(written(jsonStringMaxBytes(worst), (b, o) => putJsonString(b, o, worst)), JSON.stringify(worst))
})

test('putAscii copies a printable ASCII value unquoted', () => {
  const id = '0193f1d2-7c4e-7a51-9b0e-3f2a1c4d5e6f'
  assert.equal(written(id.length, (b, o) => putAscii(b, o, id)), id)
})

test('putUint writes String(n) for integers, other numbers through String()', () => {
  for (const n of [0, 1, 9, 10, 99, 100, 200, 404, 503, 65535, 1_000_000, 2 ** 31, Number.MAX_SAFE_INTEGER, -1, 1.5, NaN]) {
    assert.equal(written(NUMBER_MAX_BYTES, (b, o) => putUint(b, o, n)), String(n))
  }
})

test('putMillis writes String(Math.round(v * 1000) / 1000)', () => {
  const values = [0, -0, 0.0004, 0.0005, 0.001, 0.0425, 0.5, 1, 1.23449, 12.5, 99.9999, 100.05, 1234.567, 86_400_000.001, 0.1 + 0.2, -0.25, -3.0004, 1e15 + 0.5]
  for (let i = 0; i < 2000; i++) values.push(Math.random() * 10 ** ((i % 8) - 2))
  for (const v of values) {
    assert.equal(written(NUMBER_MAX_BYTES, (b, o) => putMillis(b, o, v)), String(Math.round(v * 1000) / 1000), `value ${v}`)
  }
})

test('putTimeField writes pino isoTime\'s field, re-encoded when the millisecond changes', () => {
  for (const ms of [0, 1_764_000_000_123, 1_764_000_000_123, 1_764_000_000_124, 253_402_300_799_999]) {
    assert.equal(written(TIME_FIELD_MAX_BYTES, (b, o) => putTimeField(b, o, ms)), `"time":"${new Date(ms).toISOString()}"`)
  }
})
