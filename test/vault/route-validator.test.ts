// The Vault's lazy route validator (src/vault/route-validator.ts) on a bare fastify app with the
// Vault's error handler. Ajv is loaded by the first validation, so this file's first request takes
// the asynchronous path: the one where a failure used to reach the client as 400 invalid_json
// (fastify labels a rejected validator a 400), hiding the bundle's missing `Ajv` export.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import Fastify from 'fastify'
import { handleVaultError } from '../../src/vault/http-errors.ts'
import { lazyValidatorCompiler } from '../../src/vault/route-validator.ts'

function appWithRoutes() {
  const app = Fastify({ logger: false, schemaController: { compilersFactory: { buildValidator: (() => lazyValidatorCompiler) as never } } })
  app.setErrorHandler(handleVaultError)
  // A schema Ajv refuses to compile: a bug on our side, never the client's.
  app.put('/broken', { schema: { body: { type: 'object', properties: { a: { type: 'no-such-type' } } } } }, async () => ({ ok: true }))
  app.put('/settings', { schema: { body: { type: 'object', properties: { score: { type: 'number', minimum: 0, maximum: 1 } } } } }, async (request) => request.body)
  return app
}

function put(app: ReturnType<typeof appWithRoutes>, url: string, body: string) {
  return app.inject({ method: 'PUT', url, headers: { 'content-type': 'application/json' }, payload: body })
}

test('a validator that cannot compile its schema answers 500 internal_error, on the first (loading) request and after', async (t) => {
  const app = appWithRoutes()
  t.after(() => app.close())
  for (let i = 0; i < 2; i++) {
    const res = await put(app, '/broken', '{"a":1}')
    assert.equal(res.statusCode, 500, res.body)
    assert.equal(res.json().code, 'internal_error')
  }
})

test('valid bodies pass, wrong types are 400 invalid_request naming the field, bad JSON stays invalid_json', async (t) => {
  const app = appWithRoutes()
  t.after(() => app.close())
  const good = await put(app, '/settings', '{"score":0.8}')
  assert.equal(good.statusCode, 200, good.body)
  assert.deepEqual(good.json(), { score: 0.8 })
  const wrong = await put(app, '/settings', '{"score":"high"}')
  assert.equal(wrong.statusCode, 400)
  assert.equal(wrong.json().code, 'invalid_request')
  assert.match(wrong.json().detail as string, /^body\.score: /)
  const broken = await put(app, '/settings', '{"score":')
  assert.equal(broken.json().code, 'invalid_json')
})
