// `ledgix-gateway users create|list|disable|reset-password -c FILE`: dashboard users for headless
// installs, on the configured store (SQLite data_dir or PostgreSQL), stopped or running. Passwords
// come from stdin (piped, or typed at a hidden prompt), never from argv, which `ps` shows to everyone.
// `users create --admin` before the first setup claims the setup guard, so the web setup is closed.
import type { Command } from 'commander'
import type { VaultServerConfig } from '../config/index.ts'
import { loadVaultConfig } from './vault-target.ts'
import { IDENTIFIER_HINT, isIdentifier, uuidv7 } from '../core/index.ts'
import type { TenantId } from '../core/index.ts'
import type { DashboardRole, DashboardUserRecord, Store } from '../store/index.ts'

type VaultModule = typeof import('../vault/index.ts')

const ROLES: readonly DashboardRole[] = ['admin', 'reviewer', 'viewer']
/** The Vault's DEFAULT_TENANT_ID / SETUP_TENANT, restated so that registering these commands loads nothing. */
const DEFAULT_TENANT = 'default'
/** A password longer than the KDF accepts is refused anyway; stdin beyond this is not read. */
const MAX_STDIN_BYTES = 4096

interface CommonOptions {
  config: string
  tenant: string
}

function out(cmd: Command): (text: string) => void {
  let root = cmd
  while (root.parent !== null) root = root.parent
  const write = root.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s))
  return (text) => write(text.endsWith('\n') ? text : text + '\n')
}

function fail(cmd: Command, message: string): never {
  cmd.showHelpAfterError(false)
  return cmd.error(`ledgix-gateway: ${message}`, { exitCode: 1, code: 'ledgix.users_failed' })
}

async function withStore<T>(cmd: Command, file: string, fn: (store: Store, vault: VaultModule, config: VaultServerConfig) => Promise<T>): Promise<T> {
  const config = await loadVaultConfig(cmd, file)
  const vault = await import('../vault/index.ts')
  let store: Store
  try {
    store = await vault.openVaultStore(config, () => undefined)
  } catch (err) {
    // Name the file whose vault_server.store (or data_dir) to fix, as `keys`/`apikeys -c` do.
    return fail(cmd, `cannot open the store named by ${file} (vault_server.store): ${(err as Error).message}`)
  }
  try {
    return await fn(store, vault, config)
  } finally {
    await store.close()
  }
}

/** All of piped stdin, one trailing newline removed. */
async function readPipedSecret(): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer
    size += b.length
    if (size > MAX_STDIN_BYTES) break
    chunks.push(b)
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '')
}

/** One line typed at a terminal without echo (raw mode); Ctrl-C or Ctrl-D aborts. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin
    process.stderr.write(question)
    stdin.setRawMode(true)
    stdin.resume()
    let text = ''
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(null)
        if (ch === '\u0003' || ch === '\u0004') return done(new Error('aborted'))
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1)
        else text += ch
      }
    }
    const done = (err: Error | null): void => {
      stdin.off('data', onData)
      stdin.setRawMode(false)
      stdin.pause()
      process.stderr.write('\n')
      if (err === null) resolve(text)
      else reject(err)
    }
    stdin.on('data', onData)
  })
}

async function readPassword(cmd: Command, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const text = await readPipedSecret()
    if (text === '') fail(cmd, 'no password on stdin: pipe it in, e.g. `printf %s "$PASSWORD" | ledgix-gateway users … --password-stdin`')
    return text
  }
  const first = await promptHidden('Password: ')
  const second = await promptHidden('Repeat password: ')
  if (first !== second) fail(cmd, 'the two passwords differ; nothing was changed')
  return first
}

function checkTenant(cmd: Command, tenant: string): TenantId {
  if (!isIdentifier(tenant)) fail(cmd, `--tenant must be ${IDENTIFIER_HINT}, got ${JSON.stringify(tenant.slice(0, 140))}`)
  return tenant as TenantId
}

async function findUser(cmd: Command, store: Store, vault: VaultModule, tenant: TenantId, email: string): Promise<DashboardUserRecord> {
  const user = await store.findDashboardUserByEmail(tenant, vault.normalizeEmail(email))
  if (user === null) fail(cmd, `no user ${email} in tenant ${tenant}: check "users list"`)
  return user
}

const configOption = ['-c, --config <file>', 'config file (vault_server.data_dir / vault_server.store)'] as const
const tenantOption = ['--tenant <id>', 'tenant id', DEFAULT_TENANT] as const

export function registerUserCommands(program: Command): void {
  const users = program
    .command('users')
    .description('Dashboard users (per tenant): create, list, disable, reset passwords; passwords are read from stdin')
    .addHelpText('after', '\nExamples:\n  $ printf %s "$ADMIN_PASSWORD" | ledgix-gateway users create --admin --email ops@example.com --password-stdin -c gateway.yaml\n  $ ledgix-gateway users list -c gateway.yaml')

  users
    .command('create')
    .description('Create a dashboard user; with --admin before the first setup, this is the first admin and the web setup closes')
    .requiredOption(...configOption)
    .requiredOption('--email <email>', 'the login (unique per tenant)')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'viewer')
    .option('--admin', 'same as --role admin')
    .option('--password-stdin', 'read the password from stdin (default when stdin is not a terminal; otherwise a hidden prompt)')
    .option(...tenantOption)
    .addHelpText('after', '\nExamples:\n  $ printf %s "$PASSWORD" | ledgix-gateway users create --admin --email ops@example.com --password-stdin -c gateway.yaml\n  $ ledgix-gateway users create --email ana@example.com --role reviewer -c gateway.yaml     prompts for the password')
    .action(async function usersCreate(this: Command, opts: CommonOptions & { email: string; role: string; admin?: boolean; passwordStdin?: boolean }) {
      const role = (opts.admin === true ? 'admin' : opts.role) as DashboardRole
      if (!ROLES.includes(role)) fail(this, `--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`)
      const tenant = checkTenant(this, opts.tenant)
      const print = out(this)
      await withStore(this, opts.config, async (store, vault, config) => {
        const email = vault.normalizeEmail(opts.email)
        if (!vault.isEmail(email)) fail(this, `--email: not an email address: ${JSON.stringify(opts.email.slice(0, 80))}`)
        const password = await readPassword(this, opts.passwordStdin === true)
        const weak = vault.passwordProblem(password, email)
        if (weak !== null) fail(this, `password refused: ${weak}`)
        const nowMs = Date.now()
        const user: DashboardUserRecord = {
          userId: uuidv7(nowMs),
          tenantId: tenant,
          email,
          role,
          passwordHash: await vault.hashPassword(password, vault.DEFAULT_SCRYPT_PARAMS),
          disabledAtMs: null,
          createdAtMs: nowMs,
          passwordChangedAtMs: nowMs,
        }
        // The first admin of the setup tenant claims the setup guard in the same transaction.
        const claims = role === 'admin' && tenant === vault.SETUP_TENANT && (await store.getDashboardBootstrap(tenant)) === null
        const result = await store.write([
          { op: 'tenant_insert', tenant: { tenantId: tenant, name: tenant, createdAtMs: nowMs }, ifMissing: true },
          ...(claims ? [{ op: 'dashboard_bootstrap_claim' as const, bootstrap: { tenantId: tenant, userId: user.userId, claimedAtMs: nowMs } }] : []),
          { op: 'dashboard_user_insert', user },
        ])
        if (!result.ok) {
          if (result.opName === 'dashboard_bootstrap_claim') fail(this, 'the web setup created the first admin meanwhile: run the command again to add another admin')
          fail(this, `a user ${email} exists in tenant ${tenant} already`)
        }
        if (claims) await vault.removeSetupToken(config.dataDir)
        print(`created ${role} ${email} (${user.userId}) in tenant ${tenant}${claims ? '; the web setup is now closed' : ''}`)
      })
    })

  users
    .command('list')
    .description('List the dashboard users of a tenant (never their hashes)')
    .requiredOption(...configOption)
    .option(...tenantOption)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ ledgix-gateway users list -c gateway.yaml\n  $ ledgix-gateway users list -c gateway.yaml --tenant acme --json')
    .action(async function usersList(this: Command, opts: CommonOptions & { json?: boolean }) {
      const tenant = checkTenant(this, opts.tenant)
      const print = out(this)
      await withStore(this, opts.config, async (store) => {
        const list = await store.listDashboardUsers(tenant)
        if (opts.json === true) {
          const users = list.map((u) => ({
            user_id: u.userId,
            email: u.email,
            role: u.role,
            tenant_id: u.tenantId,
            disabled: u.disabledAtMs !== null,
            created_at: new Date(u.createdAtMs).toISOString(),
          }))
          return print(JSON.stringify({ users }, null, 2))
        }
        if (list.length === 0) return print(`no dashboard users in tenant ${tenant}`)
        for (const u of list) print(`${u.userId}  ${u.role.padEnd(8)}  ${u.disabledAtMs === null ? 'active  ' : 'disabled'}  ${u.email}`)
      })
    })

  users
    .command('disable')
    .description('Disable a user: logins are refused and every session ends at once')
    .argument('<email>', 'the user\'s email')
    .requiredOption(...configOption)
    .option(...tenantOption)
    .addHelpText('after', '\nExamples:\n  $ ledgix-gateway users disable ana@example.com -c gateway.yaml')
    .action(async function usersDisable(this: Command, email: string, opts: CommonOptions) {
      const tenant = checkTenant(this, opts.tenant)
      const print = out(this)
      await withStore(this, opts.config, async (store, vault) => {
        const user = await findUser(this, store, vault, tenant, email)
        const nowMs = Date.now()
        await store.write([
          { op: 'dashboard_user_update', user: { ...user, disabledAtMs: user.disabledAtMs ?? nowMs } },
          { op: 'dashboard_sessions_revoke', tenantId: tenant, userId: user.userId, exceptSessionId: null, atMs: nowMs },
        ])
        print(`disabled ${user.email}; its sessions are revoked`)
      })
    })

  users
    .command('reset-password')
    .description('Set a new password (from stdin); every session of the user ends')
    .argument('<email>', 'the user\'s email')
    .requiredOption(...configOption)
    .option('--password-stdin', 'read the password from stdin (default when stdin is not a terminal)')
    .option(...tenantOption)
    .addHelpText(
      'after',
      '\nExamples:\n  $ ledgix-gateway users reset-password ana@example.com -c gateway.yaml     prompts twice, without echo\n  $ printf %s "$NEW_PASSWORD" | ledgix-gateway users reset-password ana@example.com --password-stdin -c gateway.yaml',
    )
    .action(async function usersResetPassword(this: Command, email: string, opts: CommonOptions & { passwordStdin?: boolean }) {
      const tenant = checkTenant(this, opts.tenant)
      const print = out(this)
      await withStore(this, opts.config, async (store, vault) => {
        const user = await findUser(this, store, vault, tenant, email)
        const password = await readPassword(this, opts.passwordStdin === true)
        const weak = vault.passwordProblem(password, user.email)
        if (weak !== null) fail(this, `password refused: ${weak}`)
        const nowMs = Date.now()
        await store.write([
          { op: 'dashboard_user_update', user: { ...user, passwordHash: await vault.hashPassword(password, vault.DEFAULT_SCRYPT_PARAMS), passwordChangedAtMs: nowMs } },
          { op: 'dashboard_sessions_revoke', tenantId: tenant, userId: user.userId, exceptSessionId: null, atMs: nowMs },
        ])
        print(`new password set for ${user.email}; its sessions are revoked`)
      })
    })
}
