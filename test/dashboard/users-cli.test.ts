// `ledgix-gateway users create|list|disable|reset-password -c FILE`, run as the real binary (tsx)
// with the password piped on stdin, against a data dir a real Vault serves at the same time.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startVaultServer } from '../../src/vault/index.ts'
import { call, vaultConfig } from '../vault/helpers.ts'
import { CHEAP_SCRYPT, GOOD_PASSWORD, browserCall, login } from './helpers.ts'

const ROOT = resolve(import.meta.dirname, '../..')
const usesPostgres = process.env.LEDGIX_TEST_STORE === 'postgres'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function cli(args: string[], stdin: string | null): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'cmd/ledgix-gateway.ts'), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
    child.on('close', (code) => done({ code, stdout, stderr }))
    if (stdin !== null) child.stdin.end(stdin)
    else child.stdin.end()
  })
}

function workspace(t: { after(fn: () => unknown): void }): { dataDir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-users-cli-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  const file = join(dir, 'gateway.yaml')
  writeFileSync(file, `mode: vault-only\nvault_server:\n  data_dir: ${JSON.stringify(dataDir)}\n`)
  return { dataDir, file }
}

test('users create --admin before setup closes the web setup; list, reset-password and disable act on a running Vault', { skip: usesPostgres && 'the CLI config here is SQLite' }, async (t) => {
  const { dataDir, file } = workspace(t)
  const server = await startVaultServer({ config: vaultConfig(dataDir), dashboardAuth: { scrypt: CHEAP_SCRYPT } })
  t.after(() => server.close())
  const base = `http://127.0.0.1:${server.port}`
  assert.equal(existsSync(join(dataDir, 'setup-token')), true)

  const created = await cli(['users', 'create', '--admin', '--email', 'Ops@Example.com', '--password-stdin', '-c', file], `${GOOD_PASSWORD}\n`)
  assert.equal(created.code, 0, created.stderr)
  assert.match(created.stdout, /created admin ops@example\.com .* in tenant default; the web setup is now closed/)
  assert.equal(existsSync(join(dataDir, 'setup-token')), false)
  const setup = await call(base, 'POST', '/ui/api/setup', { body: { setup_token: 'anything', email: 'x@example.com', password: GOOD_PASSWORD }, headers: { origin: base } })
  assert.equal(setup.status, 409)
  assert.equal(setup.body.code, 'setup_done')
  assert.equal((await call(base, 'GET', '/ui/api/session')).body.setup_required, false)

  // Piped stdin without the flag works the same; weak and duplicate are refused with exit 1.
  const viewer = await cli(['users', 'create', '--email', 'view@example.com', '--role', 'viewer', '-c', file], 'another fine passphrase')
  assert.equal(viewer.code, 0, viewer.stderr)
  const weak = await cli(['users', 'create', '--email', 'w@example.com', '-c', file], 'password1234')
  assert.equal(weak.code, 1)
  assert.match(weak.stderr, /password refused: .*commonly used/)
  const dup = await cli(['users', 'create', '--email', 'VIEW@example.com', '-c', file], 'another fine passphrase')
  assert.equal(dup.code, 1)
  assert.match(dup.stderr, /exists in tenant default/)
  const argv = await cli(['users', 'create', '--email', 'a@example.com', '--password', GOOD_PASSWORD, '-c', file], '')
  assert.notEqual(argv.code, 0, 'no argv password option')
  assert.match(argv.stderr, /unknown option '--password'/)

  const list = await cli(['users', 'list', '--json', '-c', file], null)
  assert.equal(list.code, 0, list.stderr)
  const users = JSON.parse(list.stdout).users as Array<{ email: string; role: string; disabled: boolean }>
  assert.deepEqual(users.map((u) => [u.email, u.role, u.disabled]), [['ops@example.com', 'admin', false], ['view@example.com', 'viewer', false]])
  assert.ok(!list.stdout.includes('$scrypt$'))

  // The CLI hashes with the production parameters; the first login rehashes with the server's.
  const before = await server.context.store.findDashboardUserByEmail('default' as never, 'ops@example.com')
  assert.match(before!.passwordHash, /^\$scrypt\$ln=16,r=8,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  const ops = await login(base, 'ops@example.com')
  assert.equal(ops.res.status, 200, ops.res.text)
  const after = await server.context.store.findDashboardUserByEmail('default' as never, 'ops@example.com')
  assert.match(after!.passwordHash, /^\$scrypt\$ln=4,r=8,p=1\$/)
  assert.equal((await login(base, 'ops@example.com')).res.status, 200, 'the rehashed password still logs in')

  const v = await login(base, 'view@example.com', 'another fine passphrase')
  assert.equal(v.res.status, 200)
  const reset = await cli(['users', 'reset-password', 'view@example.com', '--password-stdin', '-c', file], 'a third fine passphrase\n')
  assert.equal(reset.code, 0, reset.stderr)
  assert.equal((await browserCall(v, 'GET', '/reviews')).status, 401, 'sessions end on reset')
  assert.equal((await login(base, 'view@example.com', 'another fine passphrase')).res.status, 401)
  const v2 = await login(base, 'view@example.com', 'a third fine passphrase')
  assert.equal(v2.res.status, 200)

  const disabled = await cli(['users', 'disable', 'view@example.com', '-c', file], null)
  assert.equal(disabled.code, 0, disabled.stderr)
  assert.equal((await browserCall(v2, 'GET', '/reviews')).status, 401)
  assert.equal((await login(base, 'view@example.com', 'a third fine passphrase')).res.status, 401)
  const missing = await cli(['users', 'disable', 'nobody@example.com', '-c', file], null)
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /no user nobody@example\.com/)
})

test('users --tenant defaults to the setup tenant; every users command documents stdin passwords and has examples', async () => {
  const { buildProgram } = await import('../../src/cli/program.ts')
  const { SETUP_TENANT } = await import('../../src/vault/index.ts')
  const users = buildProgram().commands.find((c) => c.name() === 'users')!
  assert.deepEqual(users.commands.map((c) => c.name()).sort(), ['create', 'disable', 'list', 'reset-password'])
  for (const sub of users.commands) assert.equal(sub.options.find((o) => o.long === '--tenant')?.defaultValue, SETUP_TENANT, sub.name())
  for (const sub of users.commands) assert.equal(sub.options.some((o) => o.long === '--password'), false, `${sub.name()} takes no argv password`)
})
