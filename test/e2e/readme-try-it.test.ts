// The README "Try it" section, run as written (STYLE §4: docs cannot rot). Its fenced sh blocks are
// parsed in order: the first says how to start (`LEDGIX_BOOTSTRAP_API_KEY=… npm start`), the second
// sets GW/VAULT/KEY — the only place host:port is rewritten, to the ephemeral ports of a real
// `serve` of gateway.example.yaml with --demo-upstream — and each further block is one step, run by
// bash with the variables of the steps before it. Each step is its own subtest, so a failure names it.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnServe } from '../helpers/serve-process.ts'

const root = join(import.meta.dirname, '..', '..')

function tryItBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const start = readme.indexOf('\n## Try it\n')
  assert.ok(start !== -1, 'README has no "## Try it" section')
  const end = readme.indexOf('\n## ', start + 1)
  const section = readme.slice(start, end === -1 ? undefined : end)
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

/** A port that was free a moment ago (the demo upstream must be named in the route before it starts). */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** What each step must print, matched against its stdout (the README shows the same commands). */
const EXPECT: { name: string; check: (out: string) => void }[] = [
  { name: 'request clearance → approved with a token', check: (out) => assert.match(out, /"status": "approved"/) },
  {
    name: 'call the gateway → echo shows the injected X-Ledgix-* headers',
    check: (out) => {
      assert.match(out, /"x-ledgix-tool": "create_stripe_payment"/)
      assert.match(out, /"x-ledgix-agent-id": "agent-7"/)
      assert.match(out, /"x-ledgix-decision": "approved"/)
      assert.match(out, /"x-ledgix-token-id": "/)
    },
  },
  { name: 'replay → 409 token_replayed', check: (out) => assert.match(out, /"status": 409,\s*"code": "token_replayed"/) },
  {
    name: 'amount > 1000 → pending review → approved → token from /clearance-status works',
    check: (out) => {
      assert.match(out, /"status": "pending_review",\s*"requires_manual_review": true/)
      assert.match(out, /"status": "approved"/)
      assert.match(out, /^"approved"$/m)
    },
  },
  { name: 'unknown tool → denied', check: (out) => assert.match(out, /"status": "denied"/) },
  {
    name: 'proof bundle from the ledger API verifies offline with ledger verify-bundle',
    check: (out) => {
      assert.match(out, /✓/)
      assert.doesNotMatch(out, /✗/)
    },
  },
]

test('README "Try it": every step works against the real quickstart server', { skip: spawnSync('jq', ['--version']).status !== 0 && 'needs jq' }, async (t) => {
  const blocks = tryItBlocks()
  assert.equal(blocks.length, 2 + EXPECT.length, `expected a start block, a variables block and ${EXPECT.length} steps`)
  const startLine = blocks[0]!.trim()
  const key = /^LEDGIX_BOOTSTRAP_API_KEY=(\S+) npm start$/.exec(startLine)?.[1]
  assert.ok(key !== undefined, `first block must be "LEDGIX_BOOTSTRAP_API_KEY=… npm start", got ${startLine}`)
  // npm start is what the README says to run: the same config and the demo upstream.
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  assert.match(pkg.scripts['start']!, /serve -c gateway\.example\.yaml --demo-upstream$/)

  const dir = mkdtempSync(join(tmpdir(), 'ledgix-tryit-'))
  // The steps run from the repo root in the README: give the temp cwd the same bin/ and config/.
  symlinkSync(join(root, 'bin'), join(dir, 'bin'))
  symlinkSync(join(root, 'config'), join(dir, 'config'))
  const demoPort = await freePort()
  const yaml = readFileSync(join(root, 'gateway.example.yaml'), 'utf8')
    .replace(/port: (8080|9090|8000)\b/g, 'port: 0')
    .replace('http://127.0.0.1:4000', `http://127.0.0.1:${demoPort}`)
  const proc = await spawnServe(yaml, { dir, cwd: dir, env: { LEDGIX_BOOTSTRAP_API_KEY: key }, args: ['--demo-upstream', String(demoPort)] })
  t.after(() => proc.stop())
  assert.equal(proc.demoUrl, `http://127.0.0.1:${demoPort}`)

  const vars = blocks[1]!
  assert.match(vars, /127\.0\.0\.1:8080/)
  assert.match(vars, /127\.0\.0\.1:8000/)
  const state = join(dir, 'state.sh')
  const run = (script: string): { status: number | null; out: string; err: string } => {
    const r = spawnSync('bash', ['-c', `set -a\n[ -f ${state} ] && . ${state}\ntrap 'export -p > ${state}' EXIT\nset -eo pipefail\n${script}`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 30_000,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? dir },
    })
    return { status: r.status, out: r.stdout, err: r.stderr }
  }
  const setup = run(vars.replaceAll('127.0.0.1:8080', new URL(proc.gatewayUrl).host).replaceAll('127.0.0.1:8000', new URL(proc.vaultUrl).host))
  assert.equal(setup.status, 0, setup.err)

  for (const [i, step] of EXPECT.entries()) {
    await t.test(`step ${i + 1}: ${step.name}`, () => {
      const r = run(blocks[i + 2]!)
      assert.equal(r.status, 0, `step ${i + 1} exited ${r.status}\nstdout:\n${r.out}\nstderr:\n${r.err}`)
      step.check(r.out)
    })
  }
  assert.ok(existsSync(state))
})
