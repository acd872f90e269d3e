// `token inspect` / `token verify` in-process: buildProgram() with exitOverride() and configureOutput()
// on every command, a JWKS file in a temp dir and a real loopback JWKS server. Exit codes: 0 valid,
// 1 invalid token (stdout names the code), 2 usage or JWKS problem.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import { formatSpan } from '../../src/cli/token-commands.ts'
import { mintToken } from '../../src/token/index.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

const { publicKey, privateKey } = generateKeyPairSync('ed25519')
const JWKS = { keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'cli-1', x: publicKey.export({ format: 'jwk' }).x, use: 'sig', alg: 'EdDSA' }] }
const nowSeconds = () => Math.floor(Date.now() / 1000)
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: 'alcv-vault',
  sub: 'clearance',
  aud: ['ledgix-sdk'],
  exp: nowSeconds() + 252,
  iat: nowSeconds(),
  jti: 'cli-jti',
  tool: 'stripe_refund',
  ...extra,
})
const mint = (extra: Record<string, unknown> = {}) => mintToken(claims(extra), { kid: 'cli-1', privateKey })
/**
 * A different signature, always: one full 6-bit character in the middle of it is changed. Replacing
 * the last two characters with "AA" left the bytes unchanged about once in 256 runs (the second-last
 * was already "A" and the last one's two data bits were 0), so the "invalid" token verified.
 */
const tamperSignature = (token: string) => {
  const at = token.length - 20
  return `${token.slice(0, at)}${token[at] === 'A' ? 'B' : 'A'}${token.slice(at + 1)}`
}

const dir = mkdtempSync(join(tmpdir(), 'ledgix-token-cli-'))
const jwksFile = join(dir, 'jwks.json')
writeFileSync(jwksFile, JSON.stringify(JWKS))
test.after(() => rmSync(dir, { recursive: true, force: true }))

function configure(cmd: Command, sink: { out: string; err: string }): void {
  cmd.exitOverride()
  cmd.configureOutput({ writeOut: (s) => (sink.out += s), writeErr: (s) => (sink.err += s) })
  for (const sub of cmd.commands) configure(sub, sink)
}

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const program = buildProgram()
  const sink = { out: '', err: '' }
  configure(program, sink)
  try {
    await program.parseAsync(['token', ...args], { from: 'user' })
    return { code: 0, ...sink }
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode, ...sink }
    throw err
  }
}

test('inspect prints header, claims and the expiry, and says it did not verify', async () => {
  const r = await cli('inspect', `Bearer ${mint()}`)
  assert.equal(r.code, 0)
  assert.match(r.out, /^NOT VERIFIED/)
  assert.match(r.out, /"alg": "EdDSA",\n  "kid": "cli-1",\n  "typ": "JWT"/)
  assert.match(r.out, /"jti": "cli-jti"/)
  assert.match(r.out, /expires in 4m 1[0-2]s \(/)
  assert.match(r.out, /structure: ok/)
})

test('inspect of an expired token says how long ago, and flags a bad alg without refusing to decode', async () => {
  const expired = await cli('inspect', mint({ exp: nowSeconds() - 3 * 3600 }))
  assert.equal(expired.code, 0)
  assert.match(expired.out, /expired 3h ago \(/)
  const [, p, s] = mint().split('.')
  const noneHeader = Buffer.from('{"alg":"none"}').toString('base64url')
  const r = await cli('inspect', `${noneHeader}.${p}.${s}`)
  assert.equal(r.code, 0)
  assert.match(r.out, /structure: token_algorithm_not_allowed/)
})

test('inspect of junk → exit 1, stdout names token_malformed', async () => {
  const r = await cli('inspect', 'not-a-token')
  assert.equal(r.code, 1)
  assert.match(r.out, /^invalid: token_malformed/)
})

test('verify against a JWKS file: valid → exit 0 with claims and expiry', async () => {
  const r = await cli('verify', mint(), '--jwks', jwksFile, '--tool', 'stripe_refund')
  assert.equal(r.code, 0, r.err)
  assert.match(r.out, /^valid\n/)
  assert.match(r.out, /"tool": "stripe_refund"/)
  assert.match(r.out, /expires in 4m/)
  assert.equal(r.err, '')
})

test('verify: invalid tokens → exit 1 and stdout names the code', async () => {
  const cases: Array<[string[], string]> = [
    [[mint({ exp: nowSeconds() - 60 }), '--skew', '0'], 'token_expired'],
    [[mint({ exp: nowSeconds() - 20 })], 'ok'], // inside the default 30 s skew
    [[mint({ aud: 'other' })], 'token_wrong_audience'],
    [[mint(), '--issuer', 'ledgix-vault'], 'token_wrong_issuer'],
    [[mint(), '--tool', 'delete_everything'], 'tool_not_allowed'],
    [[tamperSignature(mint())], 'token_signature_invalid'],
    [[mintToken(claims(), { kid: 'other-kid', privateKey })], 'token_key_unknown'],
    [[mint({ exp: undefined })], 'token_malformed'],
  ]
  for (const [args, expected] of cases) {
    const r = await cli('verify', ...args, '--jwks', jwksFile)
    if (expected === 'ok') {
      assert.equal(r.code, 0, r.out)
      continue
    }
    assert.equal(r.code, 1, `${expected}: ${r.out}${r.err}`)
    assert.match(r.out, new RegExp(`^invalid: ${expected}\n`))
    assert.match(r.err, new RegExp(expected))
  }
})

test('verify against a loopback JWKS server: one fetch, and a failing server → exit 2', async (t) => {
  let hits = 0
  let status = 200
  const server = createServer((req, res) => {
    hits++
    assert.equal(req.url, '/.well-known/jwks.json')
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(status === 200 ? JSON.stringify(JWKS) : '{"error":"down"}')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    server.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`
  const ok = await cli('verify', mint(), '--jwks', url)
  assert.equal(ok.code, 0, ok.err)
  assert.equal(hits, 1)

  status = 503
  const down = await cli('verify', mint(), '--jwks', url)
  assert.equal(down.code, 2)
  assert.equal(down.out, '', 'no verdict is printed when the keys are unavailable')
  assert.match(down.err, /JWKS fetch failed: HTTP 503/)
  assert.equal(hits, 2)
})

test('verify: usage and JWKS problems → exit 2', async () => {
  const badJson = join(dir, 'bad.json')
  writeFileSync(badJson, '{nope')
  const smallOrder = join(dir, 'small-order.json')
  const identity = Buffer.alloc(32)
  identity[0] = 1
  writeFileSync(smallOrder, JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'cli-1', x: identity.toString('base64url') }] }))
  const cases: Array<[string[], RegExp]> = [
    [[mint()], /--jwks <url\|file> is required/],
    [[mint(), '--jwks', join(dir, 'missing.json')], /ENOENT/],
    [[mint(), '--jwks', badJson], /not JSON/],
    [[mint(), '--jwks', smallOrder], /small_order[\s\S]*no usable Ed25519 key/],
    [[mint(), '--jwks', jwksFile, '--skew', '3 parsecs'], /expected a duration/],
    [[mint(), '--jwks', jwksFile, '--bogus'], /unknown option '--bogus'/],
    [['--jwks', jwksFile], /missing required argument 'jwt'/],
    [[mint(), '--jwks', 'http://127.0.0.1:1/jwks.json'], /JWKS fetch failed/],
  ]
  for (const [args, message] of cases) {
    const r = await cli('verify', ...args)
    assert.equal(r.code, 2, `${args.slice(1).join(' ')}: ${r.err}`)
    assert.match(r.err, message)
    assert.doesNotMatch(r.out, /^(valid|invalid)/)
  }
})

test('the Vault golden fixture verifies with --audience bylaw-sdk', { skip: skipWithoutVectors }, async () => {
  const g = loadVector<{ vault_golden_fixture: { jwks: unknown; token_valid: string; token_expired: string } }>('ajwt.json').vault_golden_fixture
  const file = join(dir, 'golden.json')
  writeFileSync(file, JSON.stringify(g.jwks))
  assert.equal((await cli('verify', g.token_valid, '--jwks', file, '--audience', 'bylaw-sdk')).code, 0)
  const expired = await cli('verify', g.token_expired, '--jwks', file, '--audience', 'bylaw-sdk')
  assert.equal(expired.code, 1)
  assert.match(expired.out, /^invalid: token_expired/)
})

test('each command --help has an Examples: section and exits 0', async () => {
  for (const name of ['inspect', 'verify']) {
    const r = await cli(name, '--help')
    assert.equal(r.code, 0)
    assert.match(r.out, /Examples:\n {2}\$ ledgix-gateway token /)
  }
  const verify = await cli('verify', '--help')
  assert.match(verify.out, /--skew <duration>.*\(default: 30s\)/s)
})

test('formatSpan keeps the two largest units', () => {
  assert.equal(formatSpan(252), '4m 12s')
  assert.equal(formatSpan(3 * 3600), '3h')
  assert.equal(formatSpan(3 * 3600 + 5), '3h')
  assert.equal(formatSpan(2 * 86_400 + 5 * 3600 + 60), '2d 5h')
  assert.equal(formatSpan(0), '0s')
  assert.equal(formatSpan(0.4), '0s')
})
