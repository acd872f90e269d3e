// Issue 16 class 3: an identity header is never silently left out. A claim that is not header-safe
// (non-ASCII, controls, CR/LF, edge whitespace, '%') is percent-encoded (UTF-8, RFC 3986, uppercase
// hex; docs/design/identity-headers.md); one that cannot be encoded (too long, lone surrogate) is
// refused with 401 token_claim_invalid before the burn.
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeIdentityValue, MAX_IDENTITY_VALUE_LENGTH } from '../../src/gateway/identity-headers.ts'
import { startHarness } from '../helpers/gateway-harness.ts'
import type { Harness } from '../helpers/gateway-harness.ts'
import { bearer, send } from '../helpers/http-client.ts'
import { mint } from '../helpers/tokens.ts'

/** RFC 9110 §5.5 field-value as every parser reads it back unchanged: visible ASCII, no edge whitespace. */
function isHeaderValid(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c < 0x21 || c > 0x7e) return false
  }
  return true
}

const SAFE_ID = /^[!#$&'()*+\-./0-9:<=>?@A-Z[\]^_`a-z{|}~]*$/

test('property: encoding is injective (decodeURIComponent restores it), always header-valid, identity for safe ids', () => {
  const anyText = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 24 }),
    fc.string({ unit: fc.constantFrom('a', '%', ' ', '\r', '\n', '\t', '\0', ',', ';', '"', '\\', 'é', '\u00a0', '\u2028', '😀', '%41'), maxLength: 20 }),
  )
  fc.assert(
    fc.property(anyText, (value) => {
      const encoded = encodeIdentityValue(value)
      assert.notEqual(encoded, null)
      assert.ok(isHeaderValid(encoded!), JSON.stringify(encoded))
      assert.equal(decodeURIComponent(encoded!), value)
      if (SAFE_ID.test(value)) assert.equal(encoded, value)
    }),
    { numRuns: 1500 },
  )
  fc.assert(
    fc.property(anyText, anyText, (a, b) => {
      if (a !== b) assert.notEqual(encodeIdentityValue(a), encodeIdentityValue(b))
    }),
    { numRuns: 1000 },
  )
})

test('fixed examples: the documented encoding, and what cannot be encoded', () => {
  assert.equal(encodeIdentityValue('agent-7'), 'agent-7')
  assert.equal(encodeIdentityValue('agént'), 'ag%C3%A9nt')
  assert.equal(encodeIdentityValue(' agent\r\nX-Ledgix-Tool: admin'), '%20agent%0D%0AX-Ledgix-Tool:%20admin')
  assert.equal(encodeIdentityValue('100%'), '100%25')
  assert.equal(encodeIdentityValue('a,b;c"d\\e'), 'a%2Cb%3Bc%22d%5Ce')
  assert.equal(encodeIdentityValue(''), '')
  assert.equal(encodeIdentityValue('\ud800'), null, 'a lone surrogate has no UTF-8 form')
  assert.equal(encodeIdentityValue('a'.repeat(MAX_IDENTITY_VALUE_LENGTH)), 'a'.repeat(MAX_IDENTITY_VALUE_LENGTH))
  assert.equal(encodeIdentityValue('a'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1)), null)
  assert.equal(encodeIdentityValue('é'.repeat(200)), null, '200 × 6 encoded characters exceed the limit')
})

let h: Harness
before(async () => {
  h = await startHarness()
})
after(() => h.close())

test('a non-ASCII or CRLF-bearing claim reaches the upstream encoded, never left out', async () => {
  const token = mint(h.signer, { agentId: 'agént', claims: { session_id: 'sess 1\r\nX-Evil: 1', policy_id: ' pol ' } })
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(token) })
  assert.equal(reply.status, 200, reply.text)
  const headers = reply.json['headers'] as Record<string, string>
  assert.equal(headers['x-ledgix-agent-id'], 'ag%C3%A9nt')
  assert.equal(decodeURIComponent(headers['x-ledgix-agent-id']!), 'agént')
  assert.equal(headers['x-ledgix-session-id'], 'sess%201%0D%0AX-Evil:%201')
  assert.equal(headers['x-ledgix-policy-id'], '%20pol%20')
  assert.equal(headers['x-evil'], undefined)
})

test('an absent claim is sent as an empty header: every token request carries all six', async () => {
  const token = mint(h.signer, { claims: { policy_id: undefined, session_id: undefined } })
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(token) })
  assert.equal(reply.status, 200, reply.text)
  const raw = reply.json['rawHeaders'] as string[]
  const names = raw.filter((_, i) => i % 2 === 0)
  for (const name of ['x-ledgix-agent-id', 'x-ledgix-tool', 'x-ledgix-policy-id', 'x-ledgix-session-id', 'x-ledgix-token-id', 'x-ledgix-decision']) {
    assert.equal(names.filter((n) => n === name).length, 1, name)
  }
  const headers = reply.json['headers'] as Record<string, string>
  assert.equal(headers['x-ledgix-policy-id'], '')
  assert.equal(headers['x-ledgix-session-id'], '')
})

test('a claim too long to send → 401 token_claim_invalid, not burned, upstream not called', async () => {
  const hits = h.upstream.hits
  const burned = h.vault.burned.size
  const token = mint(h.signer, { agentId: 'x'.repeat(MAX_IDENTITY_VALUE_LENGTH + 1) })
  const reply = await send(`${h.url}/v1/x`, { headers: bearer(token) })
  assert.equal(reply.status, 401, reply.text)
  assert.equal(reply.json['code'], 'token_claim_invalid')
  assert.match(String(reply.headers['www-authenticate']), /invalid_token/)
  assert.equal(h.upstream.hits, hits)
  assert.equal(h.vault.burned.size, burned)
})

test('a claim present with another type than string (number, null, array, object) → 401 token_claim_invalid, never sent as empty', async () => {
  const hits = h.upstream.hits
  const burned = h.vault.burned.size
  for (const claims of [{ session_id: 7 }, { agent_id: null }, { policy_id: ['pol-1'] }, { decision: { approved: true } }, { agent_id: false }]) {
    const reply = await send(`${h.url}/v1/x`, { headers: bearer(mint(h.signer, { claims })) })
    assert.equal(reply.status, 401, `${JSON.stringify(claims)}: ${reply.text}`)
    assert.equal(reply.json['code'], 'token_claim_invalid')
  }
  assert.equal(h.upstream.hits, hits)
  assert.equal(h.vault.burned.size, burned, 'refused before the burn')
})
