import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import { loadVector, skipWithoutVectors } from '../helpers/vectors.ts'

interface BundleFile {
  jwks: unknown
  bundle_wire: unknown
  tampered: { name: string; bundle: unknown }[]
}
const vectors = skipWithoutVectors ? null : loadVector<BundleFile>('proof-bundle.json')

interface Run {
  exitCode: number
  out: string
  err: string
}

/** exitOverride/configureOutput are copied to subcommands at creation, so apply them to every command. */
function capture(cmd: Command, sink: { out: string; err: string }): void {
  cmd.exitOverride()
  cmd.configureOutput({
    writeOut: (s) => void (sink.out += s),
    writeErr: (s) => void (sink.err += s),
    getOutHelpWidth: () => 100,
    getErrHelpWidth: () => 100,
  })
  for (const sub of cmd.commands) capture(sub, sink)
}

async function run(...args: string[]): Promise<Run> {
  const program = buildProgram()
  const sink = { out: '', err: '' }
  capture(program, sink)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', 'ledger', ...args])
    return { exitCode: 0, ...sink }
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    return { exitCode: err.exitCode, ...sink }
  }
}

async function tempFiles(t: { after(fn: () => Promise<void>): void }): Promise<(name: string, body: unknown) => Promise<string>> {
  const dir = await mkdtemp(join(tmpdir(), 'ledgix-ledger-cli-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  return async (name, body) => {
    const path = join(dir, name)
    await writeFile(path, typeof body === 'string' ? body : JSON.stringify(body))
    return path
  }
}

test('verify-bundle with a pinned JWKS file: 19 ✓ lines, "intact", exit 0', { skip: skipWithoutVectors }, async (t) => {
  const file = await tempFiles(t)
  const r = await run('verify-bundle', await file('bundle.json', vectors!.bundle_wire), '--jwks', await file('jwks.json', vectors!.jwks))
  assert.equal(r.exitCode, 0, r.err)
  assert.equal(r.out.split('\n').filter((l) => l.startsWith('✓ ')).length, 19)
  assert.doesNotMatch(r.out, /✗/)
  assert.match(r.out, /^intact: all 19 checks passed/m)
  assert.equal(r.err, '')
})

test('a tampered bundle the SDK accepts: ✗ event hash, "NOT intact", exit 1', { skip: skipWithoutVectors }, async (t) => {
  const file = await tempFiles(t)
  const tampered = vectors!.tampered.find((x) => x.name === 'NOT_CHECKED_event_tool_args_changed')!.bundle
  const r = await run('verify-bundle', await file('bundle.json', tampered), '--jwks', await file('jwks.json', vectors!.jwks))
  assert.equal(r.exitCode, 1)
  assert.match(r.out, /^✗ event hash: event_hash is 80d8e06e/m)
  assert.match(r.out, /^NOT intact: 1 of 19 checks failed/m)
  assert.match(r.err, /is NOT intact/)
  assert.doesNotMatch(r.err, /--help/)
})

test('without --jwks the embedded keys are unpinned: fails closed (exit 1) unless --trust-embedded-keys', { skip: skipWithoutVectors }, async (t) => {
  const file = await tempFiles(t)
  const bundle = await file('bundle.json', vectors!.bundle_wire)
  const closed = await run('verify-bundle', bundle)
  assert.equal(closed.exitCode, 1)
  assert.match(closed.out, /unpinned.*failing closed/)
  assert.match(closed.out, /^✗ verification keys: no pinned keys/m)
  const trusted = await run('verify-bundle', bundle, '--trust-embedded-keys')
  assert.equal(trusted.exitCode, 0, trusted.out)
  assert.match(trusted.out, /trusting the keys embedded in the bundle/)
})

test('--jwks URL is fetched once from a live server; an HTTP error is exit 2', { skip: skipWithoutVectors }, async (t) => {
  let hits = 0
  const server = createServer((req, res) => {
    hits++
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(vectors!.jwks))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const file = await tempFiles(t)
  const bundle = await file('bundle.json', vectors!.bundle_wire)
  const ok = await run('verify-bundle', bundle, '--jwks', `${base}/.well-known/jwks.json`)
  assert.equal(ok.exitCode, 0, ok.err)
  assert.equal(hits, 1)
  const missing = await run('verify-bundle', bundle, '--jwks', `${base}/nope`)
  assert.equal(missing.exitCode, 2)
  assert.match(missing.err, /cannot fetch JWKS .*HTTP 404/)
  assert.equal(missing.out, '', 'nothing is verified without the keys asked for')
})

test('usage and I/O errors exit 2: missing file, bad JSON, unknown option, missing argument', { skip: skipWithoutVectors }, async (t) => {
  const file = await tempFiles(t)
  const noFile = await run('verify-bundle', join(tmpdir(), 'ledgix-does-not-exist.json'))
  assert.equal(noFile.exitCode, 2)
  assert.match(noFile.err, /cannot read bundle .*ENOENT/)
  const badJson = await run('verify-bundle', await file('bad.json', '{"event":'))
  assert.equal(badJson.exitCode, 2)
  assert.match(badJson.err, /is not JSON/)
  const badJwks = await run('verify-bundle', await file('b.json', vectors!.bundle_wire), '--jwks', await file('j.json', 'nope'))
  assert.equal(badJwks.exitCode, 2)
  const unknown = await run('verify-bundle', '--bogus', 'x.json')
  assert.equal(unknown.exitCode, 2)
  assert.match(unknown.err, /unknown option '--bogus'/)
  const noArg = await run('verify-bundle')
  assert.equal(noArg.exitCode, 2)
  assert.match(noArg.err, /missing required argument 'file'/)
})

test('--json prints the result object; --help has an Examples section', { skip: skipWithoutVectors }, async (t) => {
  const file = await tempFiles(t)
  const r = await run('verify-bundle', await file('bundle.json', vectors!.bundle_wire), '--jwks', await file('jwks.json', vectors!.jwks), '--json')
  assert.equal(r.exitCode, 0)
  const result = JSON.parse(r.out) as { intact: boolean; steps: unknown[]; latest_checkpoint_hash: string }
  assert.equal(result.intact, true)
  assert.equal(result.steps.length, 19)
  const help = await run('verify-bundle', '--help')
  assert.equal(help.exitCode, 0)
  assert.match(help.out, /Examples:\n {2}\$ ledgix-gateway ledger verify-bundle bundle\.json --jwks/)
  assert.match(help.out, /Exit status: 0 intact, 1 not intact/)
})
