// Differential test against jose's jwtVerify (algorithms ['EdDSA'], issuer, audience, subject,
// clockTolerance) on valid tokens, re-signed tokens with random headers/claims, and hostile edits.
// Invariant: whenever we accept, jose accepts with the same payload. Whenever jose accepts and we
// refuse, one of the documented deliberate strictnesses (STRICTER) explains it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sign } from 'node:crypto'
import fc from 'fast-check'
import { jwtVerify } from 'jose'
import { mintToken, verifyToken } from '../../src/token/index.ts'
import type { ClaimPolicy } from '../../src/token/index.ts'
import { NOW_MS, ed25519Pair } from './support.ts'

const SKEW_SECONDS = 30
const POLICY: ClaimPolicy = { issuer: 'alcv-vault', audience: 'ledgix-sdk', subject: 'clearance', clockSkewSeconds: SKEW_SECONDS, requireExp: true }
const JOSE_OPTIONS = {
  algorithms: ['EdDSA'],
  issuer: 'alcv-vault',
  audience: 'ledgix-sdk',
  subject: 'clearance',
  clockTolerance: SKEW_SECONDS,
  currentDate: new Date(NOW_MS),
}
const NOW = Math.floor(NOW_MS / 1000)
const { publicKey, privateKey } = ed25519Pair()
const lookup = (kid: string) => (kid === 'k1' ? publicKey : undefined)

type Stricter = 'kid' | 'require_exp' | 'iat_future' | 'jti' | 'tool_type' | 'hash_type' | 'non_finite_time' | 'crit' | 'encoding'

/** Why we may refuse a token jose accepts; null when nothing explains it (a bug). */
function stricterReason(token: string): Stricter | null {
  const [h = '', p = '', s = ''] = token.split('.')
  // Our decoder is strict where base64 decoders are forgiving: unpadded alphabet only, canonical
  // trailing bits in the signature, well-formed UTF-8 and no BOM before the JSON.
  if (!/^[A-Za-z0-9_-]+$/.test(h + p + s) || Buffer.from(s, 'base64url').toString('base64url') !== s) return 'encoding'
  const hb = Buffer.from(h, 'base64url')
  const pb = Buffer.from(p, 'base64url')
  let header: Record<string, unknown>
  let payload: Record<string, unknown>
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hb))
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(pb))
  } catch {
    return 'encoding'
  }
  if (header.kid !== 'k1') return 'kid'
  if (header.crit !== undefined) return 'crit'
  if (payload.exp === undefined) return 'require_exp'
  for (const claim of ['exp', 'nbf', 'iat']) {
    const v = payload[claim]
    if (typeof v === 'number' && !Number.isFinite(v)) return 'non_finite_time'
  }
  if (typeof payload.iat === 'number' && payload.iat > NOW + SKEW_SECONDS) return 'iat_future'
  if (typeof payload.jti !== 'string' || payload.jti === '') return 'jti'
  if (payload.tool !== undefined && typeof payload.tool !== 'string') return 'tool_type'
  const hash = payload.tool_args_hash
  if (hash !== undefined && hash !== null && typeof hash !== 'string') return 'hash_type'
  return null
}

const seen = new Map<string, number>()
function note(key: string): void {
  seen.set(key, (seen.get(key) ?? 0) + 1)
}

async function compare(token: string): Promise<void> {
  const ours = verifyToken(token, lookup, POLICY, NOW_MS)
  let joseOk = false
  let josePayload: unknown
  try {
    josePayload = (await jwtVerify(token, publicKey, JOSE_OPTIONS)).payload
    joseOk = true
  } catch {
    joseOk = false
  }
  if (ours.ok) {
    assert.ok(joseOk, 'we accepted a token jose refuses')
    assert.deepEqual(ours.claims.raw, josePayload)
    note('both_accept')
  } else if (joseOk) {
    const reason = stricterReason(token)
    assert.ok(reason !== null, `we refused (${ours.code}: ${ours.detail}) a token jose accepts, for no documented reason`)
    note(`stricter:${reason}`)
  } else {
    note(`both_refuse:${ours.code}`)
  }
}

// Time claims cluster around now ± skew, where off-by-one errors live.
const time = fc.oneof(
  fc.integer({ min: NOW - 2 * SKEW_SECONDS - 2, max: NOW + 2 * SKEW_SECONDS + 2 }),
  fc.constantFrom(NOW + 300, NOW - 300, 0, -1, 1.5, NOW + 0.5, NOW - SKEW_SECONDS - 0.5, 4070908800),
  fc.constantFrom('123', null, true, [NOW + 300]),
)
const KEEP = Symbol('keep')
const DELETE = Symbol('delete')
/** Mostly keep the valid value; sometimes delete it or replace it with a hostile one. */
function edit<T>(values: fc.Arbitrary<T>): fc.Arbitrary<T | typeof KEEP | typeof DELETE> {
  return fc.oneof(
    { arbitrary: fc.constant(KEEP), weight: 10 },
    { arbitrary: fc.constant(DELETE), weight: 1 },
    { arbitrary: values, weight: 2 },
  )
}
function applyEdits(base: Record<string, unknown>, edits: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base }
  for (const [name, value] of Object.entries(edits)) {
    if (value === DELETE) delete out[name]
    else if (value !== KEEP) out[name] = value
  }
  return out
}
const VALID_CLAIMS = { iss: 'alcv-vault', sub: 'clearance', aud: ['ledgix-sdk'], exp: NOW + 300, iat: NOW, jti: 'j-1', tool: 'refund' }
const claimsArb = fc
  .record({
    iss: edit(fc.constantFrom('ledgix-vault', '', 7, null)),
    sub: edit(fc.constantFrom('Clearance', '', null)),
    aud: edit(fc.constantFrom('ledgix-sdk', ['other', 'ledgix-sdk'], ['other'], [], 'other', [7, 'ledgix-sdk'], null)),
    exp: edit(time),
    nbf: edit(time),
    iat: edit(time),
    jti: edit(fc.constantFrom('j-2', '', 5, null)),
    tool: edit(fc.constantFrom('', 3, null)),
    tool_args_hash: edit(fc.constantFrom('sha256:00', null, 1)),
    extra: edit(fc.jsonValue({ maxDepth: 2 })),
  })
  .map((edits) => applyEdits(VALID_CLAIMS, edits))
const headerArb = fc
  .record({
    alg: edit(fc.constantFrom('none', 'HS256', 'Ed25519', 'eddsa', 'RS256', 7)),
    kid: edit(fc.constantFrom('k2', '', 1)),
    typ: edit(fc.constantFrom('at+jwt', 7)),
    crit: edit(fc.constantFrom(['b64'], ['exp'], [])),
    b64: edit(fc.constantFrom(false, true)),
  })
  .map((edits) => applyEdits({ alg: 'EdDSA', kid: 'k1', typ: 'JWT' }, edits))

function signRaw(headerText: string, payloadText: string): string {
  const input = Buffer.from(headerText).toString('base64url') + '.' + Buffer.from(payloadText).toString('base64url')
  return input + '.' + sign(null, Buffer.from(input), privateKey).toString('base64url')
}

test('re-signed tokens with random headers and claims: verdicts agree with jose', async () => {
  await fc.assert(fc.asyncProperty(headerArb, claimsArb, async (header, claims) => compare(signRaw(JSON.stringify(header), JSON.stringify(claims)))), {
    numRuns: 400,
  })
  // Every class must actually have been exercised, or the test proves little.
  // (Each of these shows up dozens of times per 400 runs; rarer classes have fixed cases below.)
  for (const key of ['both_accept', 'both_refuse:token_expired', 'both_refuse:token_algorithm_not_allowed', 'both_refuse:token_malformed', 'stricter:kid']) {
    assert.ok((seen.get(key) ?? 0) > 0, `never saw ${key}: ${JSON.stringify([...seen])}`)
  }
})

test('raw payload texts jose parses differently from JSON.stringify output', async () => {
  const header = JSON.stringify({ alg: 'EdDSA', kid: 'k1' })
  const base = `"iss":"alcv-vault","sub":"clearance","aud":"ledgix-sdk","jti":"j"`
  const payloads = [
    `{${base},"exp":1e999}`, // Infinity: jose would never expire it
    `{${base},"exp":${NOW + 60},"nbf":-1e999}`,
    `{${base},"exp":${NOW + 60}}`,
    `\uFEFF{${base},"exp":${NOW + 60}}`, // BOM: jose's TextDecoder strips it
    `{${base},"exp":${NOW + 60},"exp":${NOW - 600}}`, // duplicate member: last one wins in both
    `[{${base},"exp":${NOW + 60}}]`,
    `{${base},"exp":${NOW + 60}} `,
    `"string"`,
    `null`,
  ]
  for (const payload of payloads) await compare(signRaw(header, payload))
  const invalidUtf8 = Buffer.concat([Buffer.from(`{${base},"exp":${NOW + 60},"x":"`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])
  const input = Buffer.from(header).toString('base64url') + '.' + invalidUtf8.toString('base64url')
  await compare(input + '.' + sign(null, Buffer.from(input), privateKey).toString('base64url'))
})

const VALID = mintToken(
  { iss: 'alcv-vault', sub: 'clearance', aud: ['ledgix-sdk'], exp: NOW + 300, iat: NOW, jti: 'j-valid', tool: 'refund' },
  { kid: 'k1', privateKey },
)

test('hostile edits of a valid token: substitutions, insertions, deletions, truncations', async () => {
  await compare(VALID)
  assert.ok(verifyToken(VALID, lookup, POLICY, NOW_MS).ok)
  const chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \n', 'é', '\u0000']
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), ch: fc.constantFrom(...chars) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), ch: fc.constantFrom(...chars) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), ch: fc.constant('') }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), ch: fc.constant('') }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 3 }), async (edits) => {
      let token = VALID
      for (const { kind, at, ch } of edits) {
        const i = at % (token.length + 1)
        if (kind === 'replace') token = token.slice(0, i) + ch + token.slice(i + 1)
        else if (kind === 'insert') token = token.slice(0, i) + ch + token.slice(i)
        else if (kind === 'delete') token = token.slice(0, i) + token.slice(i + 1)
        else token = token.slice(0, i)
      }
      await compare(token)
    }),
    { numRuns: 400 },
  )
})

test('swapped and recombined parts of two valid tokens', async () => {
  const other = mintToken({ iss: 'alcv-vault', sub: 'clearance', aud: 'ledgix-sdk', exp: NOW + 60, jti: 'j-other' }, { kid: 'k1', privateKey })
  const [h1, p1, s1] = VALID.split('.') as [string, string, string]
  const [h2, p2, s2] = other.split('.') as [string, string, string]
  for (const token of [`${h1}.${p2}.${s1}`, `${h2}.${p1}.${s2}`, `${h1}.${p1}.${s2}`, `${h1}.${p1}`, `${h1}.${p1}.${s1}.${s1}`, `${h1}..${s1}`]) {
    await compare(token)
    assert.equal(verifyToken(token, lookup, POLICY, NOW_MS).ok, false)
  }
})

test('time boundaries at now ± skew agree with jose, and the stricter cases are the documented ones', async () => {
  const base = { iss: 'alcv-vault', sub: 'clearance', aud: 'ledgix-sdk', jti: 'j-edge' }
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ exp: NOW - SKEW_SECONDS + 1 }, 'ok'],
    [{ exp: NOW - SKEW_SECONDS }, 'token_expired'],
    [{ exp: NOW + 60, nbf: NOW + SKEW_SECONDS }, 'ok'],
    [{ exp: NOW + 60, nbf: NOW + SKEW_SECONDS + 1 }, 'token_not_yet_valid'],
    [{ exp: NOW + 60, iat: NOW + SKEW_SECONDS }, 'ok'],
    [{ exp: NOW + 60, iat: NOW + SKEW_SECONDS + 1 }, 'token_not_yet_valid'], // stricter: iat_future
    [{}, 'token_malformed'], // stricter: require_exp
    [{ exp: NOW + 60, jti: '' }, 'token_malformed'], // stricter: jti
    [{ exp: NOW + 60, nbf: '1' }, 'token_malformed'],
    [{ exp: NOW + 60, tool: 7 }, 'token_malformed'], // stricter: tool_type
  ]
  for (const [extra, expected] of cases) {
    const token = mintToken({ ...base, ...extra }, { kid: 'k1', privateKey })
    const ours = verifyToken(token, lookup, POLICY, NOW_MS)
    assert.equal(ours.ok ? 'ok' : ours.code, expected, JSON.stringify(extra))
    await compare(token)
  }
  for (const key of ['stricter:iat_future', 'stricter:require_exp', 'stricter:jti', 'stricter:tool_type', 'both_refuse:token_not_yet_valid']) {
    assert.ok((seen.get(key) ?? 0) > 0, `never saw ${key}`)
  }
})
