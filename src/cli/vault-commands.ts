// `ledgix-gateway apikeys create|list|revoke` and `ledgix-gateway keys generate|rotate|list|revoke`:
// administration of an embedded Vault's data dir (SQLite store + key files), stopped or running: a
// running Vault sees API-key changes at its next request (its read cache watches the database) and
// key-ring changes within KEY_RING_POLL_MS (it polls the store's key-ring generation).
import { join } from 'node:path'
import type { Command } from 'commander'
import { IDENTIFIER_HINT, isIdentifier, systemClock } from '../core/index.ts'
import type { ApiKeyId, TenantId } from '../core/index.ts'
import type { ApiKeyRole, SqliteStore } from '../store/index.ts'
import type { KeyRing } from '../vault/index.ts'

// The store and the Vault (fastify, SQLite, …) load only when one of these commands runs, so
// `--help`, `token …` and `serve` in paired mode never pay for them.
type VaultModule = typeof import('../vault/index.ts')

/** The Vault's DEFAULT_TENANT_ID, restated so that registering these commands loads nothing (test/cli checks they match). */
export const DEFAULT_TENANT = 'default'

const ROLES: readonly ApiKeyRole[] = ['agent', 'reviewer', 'admin']

interface DataOptions {
  data: string
}

function out(cmd: Command): (text: string) => void {
  let root = cmd
  while (root.parent !== null) root = root.parent
  const write = root.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s))
  return (text) => write(text.endsWith('\n') ? text : text + '\n')
}

async function withStore<T>(dataDir: string, fn: (store: SqliteStore, vault: VaultModule) => Promise<T>): Promise<T> {
  const [{ openSqliteStore }, vault] = await Promise.all([import('../store/index.ts'), import('../vault/index.ts')])
  const store = openSqliteStore({ path: join(dataDir, 'vault.db') })
  try {
    return await fn(store, vault)
  } finally {
    await store.close()
  }
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

export function registerApiKeyCommands(program: Command): void {
  const apikeys = program.command('apikeys').description('Create, list and revoke tenant API keys of an embedded Vault (offline, on --data DIR)')

  apikeys
    .command('create')
    .description('Create an API key; the key is printed once and stored only as its SHA-256')
    .requiredOption('--data <dir>', 'Vault data directory (vault_server.data_dir)')
    .option('--tenant <id>', 'tenant id (created when missing)', DEFAULT_TENANT)
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'agent')
    .option('--name <name>', 'label shown in listings', '')
    .option('--env <env>', 'the {env} in sk_{env}_…', 'live')
    .action(async (opts: DataOptions & { tenant: string; role: string; name: string; env: string }, cmd: Command) => {
      if (!ROLES.includes(opts.role as ApiKeyRole)) cmd.error(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`)
      if (!/^[a-z0-9]{1,16}$/.test(opts.env)) cmd.error(`--env must be 1-16 lowercase letters or digits, got "${opts.env}"`)
      // Tenant ids follow the one identifier rule, as POST /admin/tenants enforces.
      if (!isIdentifier(opts.tenant)) cmd.error(`--tenant must be ${IDENTIFIER_HINT}, got ${JSON.stringify(opts.tenant.slice(0, 140))}`)
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const tenantId = opts.tenant as TenantId
        const nowMs = systemClock.now()
        const created = vault.newApiKey(tenantId, opts.role as ApiKeyRole, opts.name, opts.env, nowMs)
        // ifMissing: create the tenant when absent, in the key's own transaction (no read-then-write race).
        const result = await store.write([
          { op: 'tenant_insert', tenant: { tenantId, name: tenantId, createdAtMs: nowMs }, ifMissing: true },
          { op: 'api_key_insert', key: created.record },
        ])
        if (!result.ok) cmd.error(`could not create the key (${result.opName} refused): retry`)
        print(`created ${created.record.role} key ${created.record.keyId} for tenant ${tenantId}`)
        print(`api key (shown once, store it now): ${created.apiKey}`)
      })
    })

  apikeys
    .command('list')
    .description('List API keys (never the secrets)')
    .requiredOption('--data <dir>', 'Vault data directory')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print JSON')
    .action(async (opts: DataOptions & { tenant: string; json?: boolean }, cmd: Command) => {
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const keys = await store.listApiKeys(opts.tenant as TenantId)
        if (opts.json === true) return print(JSON.stringify({ api_keys: keys.map(vault.apiKeyView) }, null, 2))
        if (keys.length === 0) return print(`no API keys in tenant ${opts.tenant}`)
        for (const k of keys) {
          const state = k.revokedAtMs === null ? 'active' : `revoked ${iso(k.revokedAtMs)}`
          print(`${k.keyId}  ${k.prefix}…  ${k.role.padEnd(8)}  ${state}  last used ${iso(k.lastUsedAtMs)}  ${k.name}`)
        }
      })
    })

  apikeys
    .command('revoke')
    .description('Revoke an API key; the next request with it gets 401')
    .argument('<key-id>', 'the key_id from "apikeys list"')
    .requiredOption('--data <dir>', 'Vault data directory')
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (keyId: string, opts: DataOptions & { tenant: string }, cmd: Command) => {
      const print = out(cmd)
      const ok = await withStore(opts.data, async (store) =>
        (await store.write([{ op: 'api_key_revoke', tenantId: opts.tenant as TenantId, keyId: keyId as ApiKeyId, atMs: systemClock.now() }])).ok,
      )
      if (!ok) cmd.error(`no active key ${keyId} in tenant ${opts.tenant}: check "apikeys list --tenant ${opts.tenant}"`)
      print(`revoked ${keyId}`)
    })
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage the Ed25519 signing key ring of an embedded Vault (offline, on --data DIR)')
  const openRing = (store: SqliteStore, dataDir: string, vault: VaultModule): Promise<KeyRing> =>
    vault.KeyRing.open({ store, keysDir: join(dataDir, 'keys'), clock: systemClock })
  const printRing = (print: (s: string) => void, ring: KeyRing): void => {
    for (const r of ring.records) {
      const state = r.revokedAtMs !== null ? 'revoked' : r.retiredAtMs !== null ? 'retired' : ring.signer?.kid === r.kid ? 'active' : 'published'
      print(`${r.kid}  ${state.padEnd(9)}  from ${iso(r.activeFromMs)}  retired ${iso(r.retiredAtMs)}  revoked ${iso(r.revokedAtMs)}  (${r.source})`)
    }
  }

  keys
    .command('generate')
    .description('Create the first signing key (PKCS#8 PEM, mode 0600, in DIR/keys)')
    .requiredOption('--data <dir>', 'Vault data directory')
    .action(async (opts: DataOptions, cmd: Command) => {
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const ring = await openRing(store, opts.data, vault)
        if (ring.signer !== null) cmd.error(`signing key ${ring.signer.kid} is already active: use "keys rotate" to replace it`)
        const created = await ring.generate()
        print(`generated signing key ${created.kid}`)
      })
    })

  keys
    .command('rotate')
    .description('Create a new signing key; the old one is retired but stays in the JWKS')
    .requiredOption('--data <dir>', 'Vault data directory')
    .action(async (opts: DataOptions, cmd: Command) => {
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const ring = await openRing(store, opts.data, vault)
        const created = await ring.rotate().catch((err: unknown) => {
          // key_ring_changed: a running Vault (or another CLI) changed the ring meanwhile; nothing was written.
          cmd.error(`rotation refused: ${err instanceof Error ? err.message : String(err)}`)
        })
        print(`rotated: ${created.kid} now signs; a running Vault on this data dir picks it up within a second`)
      })
    })

  keys
    .command('revoke')
    .description('Revoke a compromised key: it leaves the JWKS and its tokens are refused (a running Vault on DIR within a second)')
    .argument('<kid>', 'key id from "keys list"')
    .requiredOption('--data <dir>', 'Vault data directory')
    .action(async (kid: string, opts: DataOptions, cmd: Command) => {
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const ring = await openRing(store, opts.data, vault)
        if (!(await ring.revoke(kid))) cmd.error(`no key ${kid}: check "keys list --data ${opts.data}"`)
        print(`revoked ${kid}`)
      })
    })

  keys
    .command('list')
    .description('List signing keys with their state')
    .requiredOption('--data <dir>', 'Vault data directory')
    .action(async (opts: DataOptions, cmd: Command) => {
      const print = out(cmd)
      await withStore(opts.data, async (store, vault) => {
        const ring = await openRing(store, opts.data, vault)
        if (ring.records.length === 0) return print('no signing keys: run "keys generate"')
        printRing(print, ring)
      })
    })
}
