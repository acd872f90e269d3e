// `ledgix-gateway apikeys create|list|revoke` and `ledgix-gateway keys generate|rotate|list|revoke`:
// administration of a Vault's store, stopped or running, on `--data DIR` (an embedded Vault's SQLite
// data dir) or `-c FILE` (the config's store: SQLite or the PostgreSQL that replicas share). The
// same store ops as the /admin endpoints, so the same guards: a running Vault sees an API-key
// revocation at its next request (SQLite: its read cache watches the file; PostgreSQL: the revocation
// NOTIFYs every replica's key cache in its transaction) and a key-ring change within its poll
// (KEY_RING_POLL_MS 1 s on SQLite, REPLICA_KEY_RING_POLL_MS 0.5 s on PostgreSQL).
import type { Command } from 'commander'
import { IDENTIFIER_HINT, isIdentifier, systemClock } from '../core/index.ts'
import type { ApiKeyId, TenantId } from '../core/index.ts'
import type { ApiKeyRole, SigningKeyRecord } from '../store/index.ts'
import type { KeyRing } from '../vault/index.ts'
import { addTargetOptions, failTarget, withVaultTarget } from './vault-target.ts'
import type { TargetOptions, VaultTarget } from './vault-target.ts'

/** The Vault's DEFAULT_TENANT_ID, restated so that registering these commands loads nothing (test/cli checks they match). */
export const DEFAULT_TENANT = 'default'

const ROLES: readonly ApiKeyRole[] = ['agent', 'reviewer', 'admin']

function out(cmd: Command): (text: string) => void {
  let root = cmd
  while (root.parent !== null) root = root.parent
  const write = root.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s))
  return (text) => write(text.endsWith('\n') ? text : text + '\n')
}

function iso(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

type KeysOptions = TargetOptions & { allowPlainKey?: boolean }

/** Where a running Vault looks again, for the messages: its key-ring poll on this driver. */
function ringBound(t: VaultTarget): string {
  return t.keysInStore === null ? 'a running Vault on this data dir picks it up within a second' : 'running Vault replicas pick it up within 0.5 s'
}

export function registerApiKeyCommands(program: Command): void {
  const apikeys = program.command('apikeys').description('Create, list and revoke tenant API keys of a Vault (--data DIR: SQLite data dir; -c FILE: the config\'s store, SQLite or PostgreSQL)')

  addTargetOptions(
    apikeys
      .command('create')
      .description('Create an API key; the key is printed once and stored only as its SHA-256'),
  )
    .option('--tenant <id>', 'tenant id (created when missing)', DEFAULT_TENANT)
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'agent')
    .option('--name <name>', 'label shown in listings', '')
    .option('--env <env>', 'the {env} in sk_{env}_… (default: vault_server.api_key_env with -c, else live)')
    .action(async (opts: TargetOptions & { tenant: string; role: string; name: string; env?: string }, cmd: Command) => {
      if (!ROLES.includes(opts.role as ApiKeyRole)) cmd.error(`--role must be one of ${ROLES.join(', ')}, got "${opts.role}"`)
      if (opts.env !== undefined && !/^[a-z0-9]{1,16}$/.test(opts.env)) cmd.error(`--env must be 1-16 lowercase letters or digits, got "${opts.env}"`)
      // Tenant ids follow the one identifier rule, as POST /admin/tenants enforces.
      if (!isIdentifier(opts.tenant)) cmd.error(`--tenant must be ${IDENTIFIER_HINT}, got ${JSON.stringify(opts.tenant.slice(0, 140))}`)
      const print = out(cmd)
      await withVaultTarget(cmd, opts, async ({ store, vault, config }) => {
        const tenantId = opts.tenant as TenantId
        const nowMs = systemClock.now()
        const created = vault.newApiKey(tenantId, opts.role as ApiKeyRole, opts.name, opts.env ?? config?.apiKeyEnv ?? 'live', nowMs)
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

  addTargetOptions(apikeys.command('list').description('List API keys (never the secrets)'))
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .option('--json', 'print JSON')
    .action(async (opts: TargetOptions & { tenant: string; json?: boolean }, cmd: Command) => {
      const print = out(cmd)
      await withVaultTarget(cmd, opts, async ({ store, vault }) => {
        const keys = await store.listApiKeys(opts.tenant as TenantId)
        if (opts.json === true) return print(JSON.stringify({ api_keys: keys.map(vault.apiKeyView) }, null, 2))
        if (keys.length === 0) return print(`no API keys in tenant ${opts.tenant}`)
        for (const k of keys) {
          const state = k.revokedAtMs === null ? 'active' : `revoked ${iso(k.revokedAtMs)}`
          print(`${k.keyId}  ${k.prefix}…  ${k.role.padEnd(8)}  ${state}  last used ${iso(k.lastUsedAtMs)}  ${k.name}`)
        }
      })
    })

  addTargetOptions(
    apikeys
      .command('revoke')
      .description('Revoke an API key; the next request with it gets 401 (PostgreSQL replicas: within 1 s, pushed by NOTIFY)')
      .argument('<key-id>', 'the key_id from "apikeys list"'),
  )
    .option('--tenant <id>', 'tenant id', DEFAULT_TENANT)
    .action(async (keyId: string, opts: TargetOptions & { tenant: string }, cmd: Command) => {
      const print = out(cmd)
      // The same guarded op as DELETE /admin/tenants/{t}/api-keys/{id}; on PostgreSQL it NOTIFYs every
      // replica's key cache inside its transaction.
      const { ok, flag } = await withVaultTarget(cmd, opts, async (t) => ({
        ok: (await t.store.write([{ op: 'api_key_revoke', tenantId: opts.tenant as TenantId, keyId: keyId as ApiKeyId, atMs: systemClock.now() }])).ok,
        flag: t.flag,
      }))
      if (!ok) cmd.error(`no active key ${keyId} in tenant ${opts.tenant}: check "apikeys list --tenant ${opts.tenant} ${flag}"`)
      print(`revoked ${keyId}`)
    })
}

const isActive = (r: SigningKeyRecord): boolean => r.retiredAtMs === null && r.revokedAtMs === null

/** The key ring as the Vault loads it; on a config's store, a failure names the file and what to set. */
async function openRing(cmd: Command, t: VaultTarget): Promise<KeyRing> {
  try {
    return await t.vault.KeyRing.open({ store: t.store, keysDir: t.keysDir, clock: systemClock, ...(t.keysInStore === null ? {} : { keysInStore: t.keysInStore }) })
  } catch (err) {
    if (t.keysInStore === null) throw err
    return failTarget(
      cmd,
      `cannot load the signing key ring from the store of ${t.configFile}: ${(err as Error).message}. On PostgreSQL the private keys are sealed in the database under vault_server.ledger.encryption_key: set it in ${t.configFile} to the value the Vault replicas use`,
    )
  }
}

/**
 * On PostgreSQL a new private key is written into the database, sealed under the configured
 * encryption_key. Without one it would be stored in plain: refuse unless the ring shows the replicas
 * run that way (they signed with a plain stored key, which opened without a key) or the operator says so.
 */
function checkSealing(cmd: Command, t: VaultTarget, ring: KeyRing, opts: KeysOptions): void {
  if (t.keysInStore === null || t.keysInStore.wrapKey !== null || opts.allowPlainKey === true) return
  const signer = ring.signer === null ? undefined : ring.records.find((r) => r.kid === ring.signer?.kid)
  if (signer !== undefined && signer.source !== 'env') return
  failTarget(
    cmd,
    `${t.configFile} sets no vault_server.ledger.encryption_key, so the new private key would be stored unencrypted in the PostgreSQL store: ` +
      `set vault_server.ledger.encryption_key in ${t.configFile} to the value the Vault replicas use (e.g. encryption_key: \${LEDGIX_LEDGER_ENCRYPTION_KEY}), ` +
      'or pass --allow-plain-key if they run without one',
  )
}

export function registerKeyCommands(program: Command): void {
  const keys = program.command('keys').description('Manage the Ed25519 signing key ring of a Vault (--data DIR: SQLite data dir; -c FILE: the config\'s store, SQLite or PostgreSQL)')
  const printRing = (print: (s: string) => void, records: readonly SigningKeyRecord[], activeKid: string | null): void => {
    for (const r of records) {
      const state = r.revokedAtMs !== null ? 'revoked' : r.retiredAtMs !== null ? 'retired' : activeKid === r.kid ? 'active' : 'published'
      print(`${r.kid}  ${state.padEnd(9)}  from ${iso(r.activeFromMs)}  retired ${iso(r.retiredAtMs)}  revoked ${iso(r.revokedAtMs)}  (${r.source})`)
    }
  }
  const plainOption = ['--allow-plain-key', 'PostgreSQL without vault_server.ledger.encryption_key: store the new private key unencrypted'] as const

  addTargetOptions(keys.command('generate').description('Create the first signing key (SQLite: PKCS#8 PEM, mode 0600, in data_dir/keys; PostgreSQL: in the store, sealed under ledger.encryption_key)'))
    .option(...plainOption)
    .action(async (opts: KeysOptions, cmd: Command) => {
      const print = out(cmd)
      await withVaultTarget(cmd, opts, async (t) => {
        const ring = await openRing(cmd, t)
        // Any active key, also one whose private key is not readable here: generating would retire it.
        const active = ring.signer?.kid ?? ring.records.find(isActive)?.kid
        if (active !== undefined) cmd.error(`signing key ${active} is already active: use "keys rotate" to replace it`)
        checkSealing(cmd, t, ring, opts)
        const created = await ring.generate().catch((err: unknown) => {
          cmd.error(`generation refused: ${err instanceof Error ? err.message : String(err)}`)
        })
        print(`generated signing key ${created.kid}`)
      })
    })

  addTargetOptions(keys.command('rotate').description('Create a new signing key; the old one is retired but stays in the JWKS'))
    .option(...plainOption)
    .action(async (opts: KeysOptions, cmd: Command) => {
      const print = out(cmd)
      await withVaultTarget(cmd, opts, async (t) => {
        const ring = await openRing(cmd, t)
        checkSealing(cmd, t, ring, opts)
        // The same guarded op as POST /admin/keys/rotate: of racing rotations (CLI or any replica) one wins.
        const created = await ring.rotate().catch((err: unknown) => {
          // key_ring_changed: a running Vault (or another CLI) changed the ring meanwhile; nothing was written.
          cmd.error(`rotation refused: ${err instanceof Error ? err.message : String(err)}`)
        })
        print(`rotated: ${created.kid} now signs; ${ringBound(t)}`)
      })
    })

  addTargetOptions(
    keys
      .command('revoke')
      .description('Revoke a compromised key: it leaves the JWKS and its tokens are refused (a running Vault within a second; PostgreSQL replicas within 0.5 s)')
      .argument('<kid>', 'key id from "keys list"'),
  ).action(async (kid: string, opts: TargetOptions, cmd: Command) => {
    const print = out(cmd)
    await withVaultTarget(cmd, opts, async (t) => {
      if (t.keysInStore === null) {
        const ring = await openRing(cmd, t)
        if (!(await ring.revoke(kid))) cmd.error(`no key ${kid}: check "keys list ${t.flag}"`)
        return print(`revoked ${kid}`)
      }
      // PostgreSQL: the metadata write KeyRing.revoke makes, without opening any private key, so a
      // compromised key can be revoked without the encryption key. Replicas replace a revoked signer.
      const r = (await t.store.listSigningKeys()).find((k) => k.kid === kid)
      if (r === undefined) cmd.error(`no key ${kid}: check "keys list ${t.flag}"`)
      const nowMs = systemClock.now()
      await t.store.write([{ op: 'signing_key_upsert', key: { ...r, revokedAtMs: r.revokedAtMs ?? nowMs, retiredAtMs: r.retiredAtMs ?? nowMs } }])
      print(`revoked ${kid}; ${ringBound(t)}${isActive(r) ? ' (a running replica replaces a revoked signing key at once; with none running, the next to start does)' : ''}`)
    })
  })

  addTargetOptions(keys.command('list').description('List signing keys with their state')).action(async (opts: TargetOptions, cmd: Command) => {
    const print = out(cmd)
    await withVaultTarget(cmd, opts, async (t) => {
      let records: readonly SigningKeyRecord[]
      let activeKid: string | null
      if (t.keysInStore === null) {
        const ring = await openRing(cmd, t)
        records = ring.records
        activeKid = ring.signer?.kid ?? null
      } else {
        // PostgreSQL: metadata only (no private key is opened); the signer is the newest active key.
        records = await t.store.listSigningKeys()
        const nowMs = systemClock.now()
        activeKid = records.filter((r) => isActive(r) && r.activeFromMs <= nowMs).reduce<SigningKeyRecord | null>((a, r) => (a === null || r.activeFromMs >= a.activeFromMs ? r : a), null)?.kid ?? null
      }
      if (records.length === 0) return print(`no signing keys: run "keys generate ${t.flag}"`)
      printRing(print, records, activeKid)
    })
  })
}
