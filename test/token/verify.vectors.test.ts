// Every ajwt.json case gets a verdict: the SDK's, except where the gateway is deliberately stricter
// (the DEVIATIONS table says which and why). Plus the real Vault golden fixture and kid rotation.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ManualClock } from '../../src/core/index.ts'
import type { JwksFetchResult, PublicJwk } from '../../src/core/index.ts'
import { JwksCache, buildKeySet, decodeToken, toolArgsHash, verifyToken } from '../../src/token/index.ts'
import type { TokenErrorCode } from '../../src/token/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { NOW_MS, SDK_POLICY, jwksConfig } from './support.ts'
import type { AjwtVectors } from './support.ts'

const vectors = skipWithoutVectors ? null : loadVector<AjwtVectors>('ajwt.json')

type Verdict = 'ok' | TokenErrorCode

/** Where the SDK rejects, the specific code we answer. */
const SDK_FAILURES: Record<string, TokenErrorCode> = {
  expired: 'token_expired',
  wrong_audience: 'token_wrong_audience',
  wrong_issuer: 'token_wrong_issuer',
  wrong_subject: 'token_wrong_subject',
  missing_subject: 'token_wrong_subject',
  missing_jti: 'token_malformed',
  nbf_in_future: 'token_not_yet_valid',
  exp_as_string: 'token_malformed',
  unknown_kid: 'token_key_unknown',
  kid_key1_signed_by_key2: 'token_signature_invalid',
  tampered_payload: 'token_signature_invalid',
  tampered_signature: 'token_signature_invalid',
  alg_HS256_with_public_x_as_secret: 'token_algorithm_not_allowed',
  alg_none: 'token_algorithm_not_allowed',
  alg_Ed25519_fully_specified: 'token_algorithm_not_allowed',
  crit_header: 'token_malformed',
}

/** Deliberate deviations: the gateway is stricter than the SDK. */
const DEVIATIONS: Record<string, { sdkOk: boolean; ours: TokenErrorCode; reason: string }> = {
  iat_in_future: {
    sdkOk: true,
    ours: 'token_not_yet_valid',
    reason: 'we check iat against now + skew; a token issued in the future comes from a broken or hostile clock',
  },
  missing_exp: {
    sdkOk: true,
    ours: 'token_malformed',
    reason: 'requireExp: a single-use token must expire, else the replay record can never be dropped safely',
  },
  kid_but_jwks_without_kids: {
    sdkOk: true,
    ours: 'token_key_unknown',
    reason: 'we load only keys that carry a kid; the SDK default slot verifies ANY kid against the first key',
  },
  no_kid_header: {
    sdkOk: false,
    ours: 'token_malformed',
    reason: 'a missing kid is a structural fault found before any key lookup (the SDK reports a kid miss)',
  },
}

/** SDK accepts and so do we (replay_same_client's second use is the gateway's replay LRU and burn, not this module). */
const SDK_ACCEPTS = ['valid', 'valid_string_aud', 'valid_extra_claims', 'valid_key2', 'replay_same_client', 'typ_other']

function expectedVerdict(name: string, sdkOk: boolean): Verdict {
  const deviation = DEVIATIONS[name]
  if (deviation !== undefined) {
    assert.equal(sdkOk, deviation.sdkOk, `${name}: deviation table disagrees with the SDK verdict`)
    return deviation.ours
  }
  if (sdkOk) {
    assert.ok(SDK_ACCEPTS.includes(name), `${name}: SDK accepts but the case is not listed`)
    return 'ok'
  }
  const code = SDK_FAILURES[name]
  assert.ok(code !== undefined, `${name}: SDK rejects but no code is mapped`)
  return code
}

test('ajwt.json: the tables name every case exactly once', { skip: skipWithoutVectors }, () => {
  const names = vectors!.cases.map((c) => c.name).sort()
  const tabled = [...SDK_ACCEPTS, ...Object.keys(SDK_FAILURES), ...Object.keys(DEVIATIONS)].sort()
  assert.deepEqual(tabled, names)
  assert.equal(names.length, 26)
})

test('ajwt.json: every case gets the SDK verdict or its documented deviation', { skip: skipWithoutVectors }, async (t) => {
  const main = buildKeySet(vectors!.jwks)
  assert.equal(main.keys.size, 2)
  assert.equal(main.rejected.length, 0)
  for (const c of vectors!.cases) {
    await t.test(c.name, () => {
      const expected = expectedVerdict(c.name, c.sdk_verdict.ok)
      const keys = c.jwks_served === undefined ? main.keys : buildKeySet(c.jwks_served).keys
      const result = verifyToken(c.token, (kid) => keys.get(kid), SDK_POLICY, NOW_MS)
      if (expected === 'ok') {
        assert.ok(result.ok, `${c.name}: ${result.ok ? '' : result.code + ' ' + result.detail}`)
        assert.deepEqual(result.claims.raw, c.sdk_verdict.payload)
        assert.equal(result.claims.jti, c.sdk_verdict.payload!.jti)
        assert.deepEqual(result.claims.aud, ['ledgix-sdk'])
        assert.equal(result.claims.tool, 'create_stripe_payment')
        assert.equal(result.claims.tool_args_hash, vectors!.reference_claims.tool_args_hash)
      } else {
        assert.equal(result.ok ? 'ok' : result.code, expected)
        if (!result.ok) assert.ok(!result.detail.includes(c.token.slice(0, 20)), 'detail must not echo the token')
      }
    })
  }
})

test('kid_but_jwks_without_kids: the kid-less JWKS key is rejected at load with a reason', { skip: skipWithoutVectors }, () => {
  const c = vectors!.cases.find((x) => x.name === 'kid_but_jwks_without_kids')!
  const set = buildKeySet(c.jwks_served)
  assert.equal(set.keys.size, 0)
  assert.equal(set.rejected.length, 1)
  assert.match(set.rejected[0]!.reason, /kid/)
})

test('decoded header and claims match the vector decoding', { skip: skipWithoutVectors }, () => {
  for (const c of vectors!.cases) {
    const d = decodeToken(c.token)
    if (!d.ok) continue
    assert.deepEqual(d.value.header, c.decoded!.header, c.name)
    assert.equal(d.value.kid, c.decoded!.header.kid)
  }
})

test('vault golden fixture: valid verifies with audience bylaw-sdk, expired → token_expired', { skip: skipWithoutVectors }, () => {
  const g = vectors!.vault_golden_fixture
  const keys = buildKeySet(g.jwks).keys
  assert.deepEqual([...keys.keys()], [g.expected.kid])
  const policy = { ...SDK_POLICY, audience: g.expected.audience, issuer: g.expected.issuer }
  const ok = verifyToken(g.token_valid, (kid) => keys.get(kid), policy, NOW_MS)
  assert.ok(ok.ok)
  assert.deepEqual(ok.claims.raw, g.decoded_valid.payload)
  assert.equal(ok.claims.jti, g.expected.valid_jti)
  for (const [name, value] of Object.entries(g.expected.claims)) {
    if (name === 'aud') assert.ok(ok.claims.aud.includes(value))
    else assert.equal(ok.claims[name as 'tool'], value, name)
  }
  assert.equal(toolArgsHash(g.expected.tool_args), ok.claims.tool_args_hash)

  const expired = verifyToken(g.token_expired, (kid) => keys.get(kid), policy, NOW_MS)
  assert.equal(expired.ok ? 'ok' : expired.code, 'token_expired')
  // The SDK's default audience refuses it, as its ts_sdk_verdicts say.
  const wrongAud = verifyToken(g.token_valid, (kid) => keys.get(kid), SDK_POLICY, NOW_MS)
  assert.equal(wrongAud.ok ? 'ok' : wrongAud.code, 'token_wrong_audience')
})

test('kid_rotation: a key-2 token causes exactly one refetch, then verifies', { skip: skipWithoutVectors }, async (t) => {
  const rot = vectors!.kid_rotation
  let fetches = 0
  const cache = new JwksCache({
    fetch: async (): Promise<JwksFetchResult> => {
      const doc = rot.jwks_sequence_served[Math.min(fetches, rot.jwks_sequence_served.length - 1)]!
      fetches++
      return { jwks: doc as { keys: PublicJwk[] }, maxAgeSeconds: null }
    },
    config: jwksConfig(),
    clock: new ManualClock(NOW_MS),
  })
  t.after(() => cache.close())
  await cache.start()
  assert.equal(fetches, 1)
  const decoded = decodeToken(rot.second_token)
  assert.ok(decoded.ok)
  assert.equal(cache.getKey(decoded.value.kid), undefined)
  const key = await cache.refreshForKid(decoded.value.kid)
  assert.ok(key !== undefined)
  assert.equal(fetches, rot.jwks_fetch_count)
  const result = verifyToken(rot.second_token, (kid) => cache.getKey(kid), SDK_POLICY, NOW_MS)
  assert.ok(result.ok)
  assert.deepEqual(result.claims.raw, rot.second_verdict.payload)
})
