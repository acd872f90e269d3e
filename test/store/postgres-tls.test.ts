// `vault_server.store.tls`: the config keys and their checks, start-up errors that name the config
// path of a file that cannot be read, and the TLS handshake for real against a throwaway PostgreSQL
// cluster started here with ssl on (initdb + pg_ctl in a temp dir, a CA, server and client certificates
// made with openssl; hostnossl connections rejected, one role authenticated by client certificate).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPgPool, openPostgresStore } from '../../src/store/index.ts'
import type { PgTlsOptions } from '../../src/store/postgres/pool.ts'
import { load, problemAt, problemsOf } from '../config/helpers.ts'
import { spawnServe } from '../helpers/serve-process.ts'

const VAULT = (store: string): string =>
  `mode: vault-only\nadmin:\n  listen: { host: 127.0.0.1, port: 0 }\nvault_server:\n  listen: { host: 127.0.0.1, port: 0 }\n  data_dir: ./data\n  store:\n    driver: postgres\n    url: postgres://ledgix@db.internal:5432/ledgix\n${store}`

test('store.tls: keys, defaults and checks of the config', () => {
  const c = load(VAULT('    tls:\n      ca_file: /etc/ledgix/pg-ca.pem\n'))
  const s = c.vaultServer.store
  assert.ok(s !== undefined && s.driver === 'postgres')
  assert.deepEqual(s.tls, { caFile: '/etc/ledgix/pg-ca.pem', certFile: null, keyFile: null, rejectUnauthorized: true, servername: null })
  const full = load(VAULT('    tls: { ca_file: ca.pem, cert_file: c.pem, key_file: k.pem, reject_unauthorized: false, servername: pg.internal }\n')).vaultServer.store
  assert.ok(full !== undefined && full.driver === 'postgres')
  assert.deepEqual(full.tls, { caFile: 'ca.pem', certFile: 'c.pem', keyFile: 'k.pem', rejectUnauthorized: false, servername: 'pg.internal' })
  const none = load(VAULT('')).vaultServer.store
  assert.ok(none !== undefined && none.driver === 'postgres' && none.tls === undefined, 'no tls key: as the URL says')
  assert.match(problemAt(problemsOf(VAULT('    tls: { cert_file: c.pem }\n')), 'vault_server.store.tls.key_file').message, /needs both cert_file and key_file/)
  assert.match(problemAt(problemsOf(VAULT('    tls: { key_file: k.pem }\n')), 'vault_server.store.tls.cert_file').message, /needs both cert_file and key_file/)
  assert.ok(problemsOf(VAULT('    tls: { sslmode: require }\n')).some((p) => p.path.startsWith('vault_server.store.tls')), 'unknown keys are refused')
  assert.ok(problemsOf(VAULT('    tls: { reject_unauthorized: "no" }\n')).some((p) => p.path === 'vault_server.store.tls.reject_unauthorized'))
})

const TLS: PgTlsOptions = { caFile: null, certFile: null, keyFile: null, rejectUnauthorized: true, servername: null }

async function openError(url: string, tls: PgTlsOptions): Promise<Error> {
  try {
    const store = await openPostgresStore({ url, tls, schema: 'ledgix_never_created', connectTimeoutMs: 5_000 })
    await store.close()
  } catch (err) {
    return err as Error
  }
  throw new Error('the store opened')
}

test('store.tls: a file that cannot be read, or TLS set twice, fails at start naming the config path', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-pgtls-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const url = 'postgres://postgres@127.0.0.1:5432/test'
  let err = await openError(url, { ...TLS, caFile: join(dir, 'missing.pem') })
  assert.equal(err.name, 'StoreOpenError')
  assert.equal(err.message, `vault_server.store.tls.ca_file: cannot read ${join(dir, 'missing.pem')}: no such file`)
  err = await openError(url, { ...TLS, certFile: dir, keyFile: join(dir, 'k.pem') })
  assert.equal(err.message, `vault_server.store.tls.cert_file: cannot read ${dir}: is a directory`)
  writeFileSync(join(dir, 'c.pem'), 'x')
  err = await openError(url, { ...TLS, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'nope.key') })
  assert.equal(err.message, `vault_server.store.tls.key_file: cannot read ${join(dir, 'nope.key')}: no such file`)
  err = await openError(`${url}?sslmode=require`, TLS)
  assert.equal(err.message, 'vault_server.store.tls is set and vault_server.store.url also configures TLS (?sslmode=): keep one of them')
  // Through `serve`: exit 1 with the same sentence, before listening.
  const served = await spawnServe(VAULT(`    tls:\n      ca_file: ${join(dir, 'missing.pem')}\n`).replace('./data', join(dir, 'data')), { expectReady: false })
  t.after(() => served.stop())
  assert.equal(await served.exited, 1)
  assert.match(served.stderr(), new RegExp(`vault_server\\.store\\.tls\\.ca_file: cannot read ${join(dir, 'missing.pem').replaceAll('.', '\\.')}: no such file`))
})

// ---- a real TLS handshake against a throwaway cluster ----

function pgBin(): string | null {
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return null
  for (const v of readdirSync(base).sort().reverse()) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin')
  return null
}
const BIN = pgBin()
const OPENSSL = spawnSync('openssl', ['version']).status === 0
const ROOT = process.getuid?.() === 0
/** initdb refuses root: as root the cluster runs as the `postgres` user. */
const AS_POSTGRES = ROOT && spawnSync('id', ['-u', 'postgres']).status === 0
const skipTls = BIN === null ? 'PostgreSQL server binaries (initdb) not installed' : !OPENSSL ? 'openssl not installed' : ROOT && !AS_POSTGRES ? 'running as root without a postgres user' : false

function run(cmd: string, args: string[]): void {
  const full = AS_POSTGRES ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] as const : [cmd, args] as const
  execFileSync(full[0], full[1], { stdio: 'pipe', timeout: 60_000 })
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 })
}

test('store.tls: a real TLS handshake: CA checked, host name checked, client certificate authentication', { skip: skipTls }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-pgtls-cluster-'))
  const data = join(dir, 'data')
  const pki = join(dir, 'pki')
  mkdirSync(pki)
  let started = false
  t.after(() => {
    if (started) spawnSync(AS_POSTGRES ? 'runuser' : join(BIN!, 'pg_ctl'), AS_POSTGRES ? ['-u', 'postgres', '--', join(BIN!, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop'], { timeout: 30_000 })
    rmSync(dir, { recursive: true, force: true })
  })
  // A CA, a server certificate for 127.0.0.1/localhost, a client certificate for role certuser.
  openssl(pki, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ledgix test CA'])
  for (const [name, cn, ext] of [['server', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], ['client', 'certuser', 'keyUsage=digitalSignature']] as const) {
    openssl(pki, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
    writeFileSync(join(pki, `${name}.ext`), `${ext}\n`)
    openssl(pki, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`])
  }
  if (AS_POSTGRES) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    for (const p of [dir, pki, join(pki, 'server.key'), join(pki, 'server.pem'), join(pki, 'ca.pem')]) chownSync(p, uid, gid)
  }
  chmodSync(join(pki, 'server.key'), 0o600)
  run(join(BIN!, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  appendFileSync(join(data, 'postgresql.conf'), [
    `port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, 'fsync = off', 'ssl = on',
    `ssl_cert_file = '${join(pki, 'server.pem')}'`, `ssl_key_file = '${join(pki, 'server.key')}'`, `ssl_ca_file = '${join(pki, 'ca.pem')}'`, '',
  ].join('\n'))
  writeFileSync(join(data, 'pg_hba.conf'), [
    'local all all trust',
    'hostssl all certuser 127.0.0.1/32 cert',
    'hostssl all postgres 127.0.0.1/32 trust',
    'hostnossl all all 127.0.0.1/32 reject',
    '',
  ].join('\n'))
  run(join(BIN!, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '30', 'start'])
  started = true
  run(join(BIN!, 'psql'), ['-h', dir, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-c', 'CREATE ROLE certuser LOGIN'])

  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const ca = join(pki, 'ca.pem')
  const sslOf = async (tls: PgTlsOptions | undefined, u = url): Promise<boolean> => {
    const pool = createPgPool({ url: u, ...(tls === undefined ? {} : { tls }), connectTimeoutMs: 5_000 })
    try {
      return (await pool.query<{ ssl: boolean }>('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).rows[0]!.ssl
    } finally {
      await pool.end()
    }
  }
  // Without store.tls the plain connection is refused by the server (hostnossl reject).
  await assert.rejects(sslOf(undefined), /rejects connection .* no encryption/)
  // With the CA: TLS, verified; the whole store opens and migrates over it.
  assert.equal(await sslOf({ ...TLS, caFile: ca }), true)
  const store = await openPostgresStore({ url, tls: { ...TLS, caFile: ca }, schema: 'ledgix_tls' })
  assert.equal(await store.isBurned('nothing'), false)
  // So do its sessions outside the pool: the key cache's LISTEN, the sealer election, the live-event LISTEN.
  await store.startChangeFeed()
  const election = store.sealerLeadership()
  await election.start()
  const live = store.openLiveEventChannel()
  await live.listen(() => undefined, () => undefined)
  assert.equal(store.keyCache!.live, true, 'the key cache listens over TLS')
  assert.equal(election.isLeader, true, 'the election holds its lock over TLS')
  await live.close()
  await store.close()
  // Without the CA the server's certificate does not verify (reject_unauthorized defaults to true).
  let err = await openError(url, TLS)
  assert.equal(err.name, 'StoreOpenError')
  assert.match(err.message, new RegExp(`^TLS to PostgreSQL at 127\\.0\\.0\\.1:${port} failed: .*(self.signed|local issuer).*\\(check vault_server\\.store\\.tls`))
  // A servername the certificate does not name is refused; one it names is accepted.
  err = await openError(url, { ...TLS, caFile: ca, servername: 'db.example' })
  assert.match(err.message, /^TLS to PostgreSQL at .* failed: .*(altnames|does not match|db\.example)/i)
  assert.equal(await sslOf({ ...TLS, caFile: ca, servername: 'localhost' }), true)
  // reject_unauthorized: false encrypts without checking who answers (documented as unsafe).
  assert.equal(await sslOf({ ...TLS, rejectUnauthorized: false }), true)
  // Certificate authentication: certuser gets in with its client certificate, and not without.
  const certUrl = `postgres://certuser@127.0.0.1:${port}/postgres`
  assert.equal(await sslOf({ ...TLS, caFile: ca, certFile: join(pki, 'client.pem'), keyFile: join(pki, 'client.key') }, certUrl), true)
  err = await openError(certUrl, { ...TLS, caFile: ca })
  assert.match(err.message, /certuser|certificate/)
})
