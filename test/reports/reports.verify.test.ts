// `report verify` end to end: a report downloaded from a real Vault, the proof bundle of its ledger
// row and the JWKS verify offline (exit 0); one changed byte in the report, a bundle of another row,
// or a JWKS without the signing key each fail (exit 1).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import { call, startHarness } from '../vault/helpers.ts'
import { demoTraffic, generate } from './reports.support.ts'

function capture(cmd: Command, sink: { out: string; err: string }): void {
  cmd.exitOverride()
  cmd.configureOutput({ writeOut: (s) => void (sink.out += s), writeErr: (s) => void (sink.err += s) })
  for (const sub of cmd.commands) capture(sub, sink)
}

async function verify(...args: string[]): Promise<{ exitCode: number; out: string; err: string }> {
  const program = buildProgram()
  const sink = { out: '', err: '' }
  capture(program, sink)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', 'report', 'verify', ...args])
    return { exitCode: 0, ...sink }
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    return { exitCode: err.exitCode, ...sink }
  }
}

test('report verify: intact download passes; a tampered byte, a foreign bundle or an unpinned key fails', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ledgix-report-verify-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const h = await startHarness(t)
  const demo = await demoTraffic(h)
  const r = await generate(h, demo.startedAtMs)
  const json = Buffer.from(await (await fetch(`${h.base}/reports/${r.report_id}/artifacts/json`, { headers: { 'x-vault-api-key': h.keys.admin } })).arrayBuffer())
  await h.server.context.ledgerService.sealer.flush()
  const bundle = await call(h.base, 'GET', `/ledger/proof/bundle?request_id=${r.report_id}`, { key: h.keys.admin })
  assert.equal(bundle.status, 200, bundle.text)
  const jwks = await call(h.base, 'GET', '/.well-known/jwks.json')
  const file = (name: string, body: string | Buffer): Promise<string> => writeFile(join(dir, name), body).then(() => join(dir, name))
  const reportFile = await file('report.json', json)
  const bundleFile = await file('bundle.json', bundle.text)
  const jwksFile = await file('jwks.json', jwks.text)

  const ok = await verify(reportFile, '--bundle', bundleFile, '--jwks', jwksFile)
  assert.equal(ok.exitCode, 0, ok.out + ok.err)
  assert.match(ok.out, /✓ hash_ledgered/)
  assert.match(ok.out, /✓ sample_proofs: 5 of 5/)
  assert.match(ok.out, new RegExp(`^intact: report ${r.report_id}`, 'm'))

  // One byte changed inside a string: still canonical JSON, but not the ledgered hash.
  const text = json.toString('utf8')
  const i = text.indexOf('payments-agent')
  const tampered = await file('tampered.json', text.slice(0, i) + 'P' + text.slice(i + 1))
  const bad = await verify(tampered, '--bundle', bundleFile, '--jwks', jwksFile)
  assert.equal(bad.exitCode, 1)
  assert.match(bad.out, /✗ hash_ledgered/)

  const reformatted = await file('pretty.json', JSON.stringify(JSON.parse(text), null, 2))
  assert.match((await verify(reformatted, '--bundle', bundleFile, '--jwks', jwksFile)).out, /✗ canonical/)

  const other = await call(h.base, 'GET', `/ledger/proof/bundle?request_id=${demo.deniedId}`, { key: h.keys.admin })
  const foreign = await verify(reportFile, '--bundle', await file('other.json', other.text), '--jwks', jwksFile)
  assert.equal(foreign.exitCode, 1)
  assert.match(foreign.out, /✗ ledger_row/)

  const noKeys = await verify(reportFile, '--bundle', bundleFile, '--jwks', await file('empty.json', '{"keys":[]}'))
  assert.equal(noKeys.exitCode, 1)
  assert.match(noKeys.out, /✗ anchor/)
  assert.equal((await verify(join(dir, 'missing.json'), '--bundle', bundleFile, '--jwks', jwksFile)).exitCode, 2)
})
