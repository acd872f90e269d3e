// Spec §8 vectors (made by the real SDK's verifyWebhook): our signer produces exactly the accepted
// `sha256=<lowercase hex>` header for each valid body, and never the signature of a rejected case;
// the test receiver's independent verifier agrees with the SDK's verdict on every case.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { signBody } from '../../src/notify/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'
import { verifyLedgixSignature } from './receiver.ts'

interface WebhookVectors {
  header: string
  secret_TEST_ONLY: string
  cases: Array<{ name: string; body: string; signature: string; sdk_verdict: boolean }>
}

test('webhook.json: our X-Ledgix-Signature is what verifyWebhook accepts; the receiver agrees with the SDK on every case', { skip: skipWithoutVectors }, () => {
  const v = loadVector<WebhookVectors>('webhook.json')
  assert.equal(v.header, 'X-Ledgix-Signature')
  let signed = 0
  for (const c of v.cases) {
    assert.equal(verifyLedgixSignature(c.body, c.signature, v.secret_TEST_ONLY), c.sdk_verdict, c.name)
    const ours = signBody(v.secret_TEST_ONLY, c.body)
    assert.match(ours, /^sha256=[0-9a-f]{64}$/)
    if (c.name === 'valid_prefixed') {
      assert.equal(ours, c.signature, 'byte-identical to the SDK-accepted header')
      signed++
    }
    if (!c.sdk_verdict) assert.notEqual(ours, c.signature, `${c.name}: a rejected signature is never ours`)
  }
  assert.equal(signed, 1)
})
