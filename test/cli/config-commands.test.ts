// `config validate` and `config schema`, in-process through buildProgram() with exitOverride()
// and configureOutput(), plus one run of the real binary for its exit code and streams.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'
import { configJsonSchema } from '../../src/config/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'

const root = join(import.meta.dirname, '..', '..')

interface Run {
  out: string
  err: string
  exitCode: number
}

/** Runs the CLI in-process; output is captured, exits become a code instead of ending the process. */
async function runCli(args: string[]): Promise<Run> {
  const program = buildProgram()
  const run: Run = { out: '', err: '', exitCode: 0 }
  const each = (cmd: Command) => {
    cmd.exitOverride()
    cmd.configureOutput({ writeOut: (s) => void (run.out += s), writeErr: (s) => void (run.err += s) })
    cmd.commands.forEach(each)
  }
  each(program)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', ...args])
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err
    run.exitCode = err.exitCode
  }
  return run
}

const GOOD = 'mode: all-in-one\nroutes:\n  - name: demo\n    match: { path_prefix: /demo }\n    upstream: http://127.0.0.1:4000\n    tools: [t]\n'
const BAD = 'mode: pair\nroutes:\n  - name: demo\n    match: { path_prefix: /demo }\n    upstream: http://127.0.0.1:4000\n    tools: [t]\n    bind_arg: exact\n'

test('config validate on a good file prints "FILE: OK (mode …, N routes)" and exits 0', async (t) => {
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, GOOD)
  const r = await runCli(['config', 'validate', '-c', file])
  assert.deepEqual(r, { out: `${file}: OK (mode all-in-one, 1 route)\n`, err: '', exitCode: 0 })
})

test('config validate on a bad file prints every problem, one per line, and exits 1', async (t) => {
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, BAD)
  const r = await runCli(['config', 'validate', '-c', file])
  assert.equal(r.exitCode, 1)
  assert.equal(r.out, '')
  assert.equal(
    r.err,
    [
      `${file}:1 mode: expected one of "paired", "all-in-one" or "vault-only", got "pair" — did you mean "paired"?`,
      `${file}:7 routes[0]: unknown key "bind_arg" — did you mean "bind_args"?`,
      '',
    ].join('\n'),
  )
})

test('config validate expands ${VAR} from the environment and counts routes', async (t) => {
  const file = join(tempDir(t), 'paired.yaml')
  writeFileSync(file, 'mode: paired\nvault:\n  url: ${LEDGIX_CLI_TEST_URL}\n  api_key: k\n')
  const missing = await runCli(['config', 'validate', '-c', file])
  assert.equal(missing.exitCode, 1)
  assert.match(missing.err, /vault\.url: environment variable LEDGIX_CLI_TEST_URL is not set/)
  process.env.LEDGIX_CLI_TEST_URL = 'http://vault:8000'
  t.after(() => delete process.env.LEDGIX_CLI_TEST_URL)
  const ok = await runCli(['config', 'validate', '-c', file])
  assert.equal(ok.out, `${file}: OK (mode paired, 0 routes)\n`)
})

test('config validate --print shows the normalised config with secrets redacted', async (t) => {
  const file = join(tempDir(t), 'gw.yaml')
  writeFileSync(file, 'mode: paired\nvault:\n  url: http://vault:8000\n  api_key: sk_live_secret123\n')
  const r = await runCli(['config', 'validate', '-c', file, '--print'])
  assert.equal(r.exitCode, 0)
  const json = JSON.parse(r.out.slice(r.out.indexOf('\n') + 1)) as { vault: { apiKey: string; timeoutMs: number } }
  assert.equal(json.vault.apiKey, '[redacted]')
  assert.equal(json.vault.timeoutMs, 3000)
  assert.doesNotMatch(r.out, /sk_live_secret123/)
})

test('config validate without -c is a usage error; a missing file is one clear line', async (t) => {
  const noFlag = await runCli(['config', 'validate'])
  assert.equal(noFlag.exitCode, 1)
  assert.match(noFlag.err, /required option '-c, --config <file>' not specified/)
  const file = join(tempDir(t), 'absent.yaml')
  const missing = await runCli(['config', 'validate', '-c', file])
  assert.equal(missing.exitCode, 1)
  assert.equal(missing.err, `${file}: cannot read the file: no such file; check the path given to -c/--config\n`)
})

test('config schema prints the JSON Schema', async () => {
  const r = await runCli(['config', 'schema'])
  assert.equal(r.exitCode, 0)
  assert.deepEqual(JSON.parse(r.out), configJsonSchema)
})

test('--help of config, config validate and config schema has an Examples: section', async () => {
  for (const args of [['config'], ['config', 'validate'], ['config', 'schema']]) {
    const r = await runCli([...args, '--help'])
    assert.equal(r.exitCode, 0, args.join(' '))
    assert.match(r.out, /\nExamples:\n {2}\$ ledgix-gateway config /, args.join(' '))
  }
})

test('the real binary: a bad file exits 1 with the problems on stderr, nothing on stdout', async (t) => {
  const file = join(tempDir(t), 'bad.yaml')
  writeFileSync(file, BAD)
  const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'ledgix-gateway.mjs'), 'config', 'validate', '-c', file], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr })
    })
  })
  assert.equal(result.code, 1)
  assert.equal(result.stdout, '')
  assert.equal(
    result.stderr,
    `${file}:1 mode: expected one of "paired", "all-in-one" or "vault-only", got "pair" — did you mean "paired"?\n` +
      `${file}:7 routes[0]: unknown key "bind_arg" — did you mean "bind_args"?\n`,
  )
})
