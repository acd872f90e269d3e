// The setup token across restarts: logged once per start while no admin exists, rewritten to the
// data dir (mode 0600, replacing an old token, which stops working), and never issued once a user exists.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import pino from 'pino'
import { startVaultServer } from '../../src/vault/index.ts'
import { call, vaultConfig } from '../vault/helpers.ts'
import { CHEAP_SCRYPT, GOOD_PASSWORD } from './helpers.ts'

function capture(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter((l) => l !== ''))
      done()
    },
  })
  return { logger: pino({ level: 'info' }, stream), lines }
}

test('restart before setup: a fresh token (logged once, file replaced at 0600), the old one refused; after setup none', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ledgix-setup-token-'))
  t.after(() => rmSync(dataDir, { recursive: true, force: true }))
  const tokenFile = join(dataDir, 'setup-token')
  const start = async (): Promise<{ base: string; lines: string[]; close(): Promise<void> }> => {
    const { logger, lines } = capture()
    const server = await startVaultServer({ config: vaultConfig(dataDir), logger, dashboardAuth: { scrypt: CHEAP_SCRYPT } })
    return { base: `http://127.0.0.1:${server.port}`, lines, close: () => server.close() }
  }
  const first = await start()
  const token1 = readFileSync(tokenFile, 'utf8').trim()
  assert.equal(first.lines.filter((l) => l.includes(token1)).length, 1, 'the token is logged exactly once')
  const logged = JSON.parse(first.lines.find((l) => l.includes(token1))!)
  assert.equal(logged.setup_token_file, tokenFile)
  await first.close()

  // A looser file left behind (e.g. restored from a backup) is rewritten with mode 0600.
  writeFileSync(tokenFile, 'stale\n')
  chmodSync(tokenFile, 0o644)
  const second = await start()
  const token2 = readFileSync(tokenFile, 'utf8').trim()
  assert.notEqual(token2, token1)
  assert.equal(statSync(tokenFile).mode & 0o777, 0o600)
  const body = (token: string): Record<string, string> => ({ setup_token: token, email: 'root@example.com', password: GOOD_PASSWORD })
  const old = await call(second.base, 'POST', '/ui/api/setup', { body: body(token1), headers: { origin: second.base } })
  assert.equal(old.status, 401)
  assert.equal(old.body.code, 'setup_token_invalid')
  assert.equal((await call(second.base, 'POST', '/ui/api/setup', { body: body(token2), headers: { origin: second.base } })).status, 201)
  assert.equal(existsSync(tokenFile), false)
  assert.ok(!second.lines.some((l) => l.includes(GOOD_PASSWORD)), 'the password is never logged')
  await second.close()

  const third = await start()
  assert.equal(existsSync(tokenFile), false)
  assert.ok(!third.lines.some((l) => l.includes('setup token')))
  assert.equal((await call(third.base, 'GET', '/ui/api/session')).body.setup_required, false)
  await third.close()
})
