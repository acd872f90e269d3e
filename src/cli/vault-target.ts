// The store an administration command (`apikeys`, `keys`, `ledger verify`) works on: `--data DIR`, an
// embedded Vault's SQLite data dir, or `-c FILE`, whatever store the config names (SQLite in
// data_dir, or PostgreSQL at vault_server.store.url, shared by running replicas). Failures to load
// the config or reach the store end the command with one sentence naming the file and the fix.
import { join } from 'node:path'
import type { Command } from 'commander'
import type { VaultServerConfig } from '../config/index.ts'
import type { Store } from '../store/index.ts'

export type VaultModule = typeof import('../vault/index.ts')

export interface TargetOptions {
  data?: string
  config?: string
}

export interface VaultTarget {
  store: Store
  vault: VaultModule
  /** Where the key ring looks for `<kid>.pem` files (data_dir/keys). */
  keysDir: string
  /** Set on PostgreSQL: private keys live in the store, sealed under this key (null: none configured). */
  keysInStore: { wrapKey: Buffer | null } | null
  /** The config file (-c), null with --data. */
  configFile: string | null
  config: VaultServerConfig | null
  /** How to name this store in messages and hints: `--data DIR` or `-c FILE`. */
  flag: string
}

/** `--data` and `-c` on one command: either names the store; exactly one is required. */
export function addTargetOptions(cmd: Command, dataWhat = 'Vault data directory (vault_server.data_dir), SQLite'): Command {
  return cmd
    .option('--data <dir>', dataWhat)
    .option('-c, --config <file>', 'config file: works on the store it names (vault_server.store: SQLite data_dir or PostgreSQL)')
}

/** An outcome, not a usage mistake: no "(run with --help …)" hint after it. */
export function failTarget(cmd: Command, message: string, exitCode = 1): never {
  cmd.showHelpAfterError(false)
  return cmd.error(`ledgix-gateway: ${message}`, { exitCode, code: 'ledgix.vault_admin_failed' })
}

/** The config file's `vault_server`, or exit 1 with its problems (each naming its path and fix). */
export async function loadVaultConfig(cmd: Command, file: string): Promise<VaultServerConfig> {
  const { ConfigError, formatProblems, loadConfig } = await import('../config/index.ts')
  try {
    return (await loadConfig(file)).vaultServer
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    cmd.showHelpAfterError(false)
    return cmd.error(formatProblems(err), { exitCode: 1, code: 'ledgix.config_invalid' })
  }
}

/** Opens the store `opts` names, runs `fn`, closes the store (also when `fn` throws). */
export async function withVaultTarget<T>(cmd: Command, opts: TargetOptions, fn: (target: VaultTarget) => Promise<T>, failExitCode = 1): Promise<T> {
  if ((opts.data === undefined) === (opts.config === undefined)) {
    return cmd.error('pass exactly one of --data DIR (an embedded Vault\'s SQLite data dir) or -c FILE (the Vault\'s config: SQLite or PostgreSQL)')
  }
  const [vault, { openSqliteStore }] = await Promise.all([import('../vault/index.ts'), import('../store/index.ts')])
  let target: VaultTarget
  if (opts.data !== undefined) {
    const store = openSqliteStore({ path: join(opts.data, 'vault.db') })
    target = { store, vault, keysDir: join(opts.data, 'keys'), keysInStore: null, configFile: null, config: null, flag: `--data ${opts.data}` }
  } else {
    const file = opts.config!
    const config = await loadVaultConfig(cmd, file)
    const pg = vault.postgresOptionsOf(config)
    let wrapKey: Buffer | null = null
    if (pg !== null && config.ledger?.encryptionKey != null) {
      const { parseEncryptionKey } = await import('../ledger/index.ts')
      wrapKey = parseEncryptionKey(config.ledger.encryptionKey)
      if (wrapKey === null) failTarget(cmd, `${file}: vault_server.ledger.encryption_key is not a 32-byte key: expected 64 hex characters or base64url (the value the Vault replicas use)`, failExitCode)
    }
    let store: Store
    try {
      store = await vault.openVaultStore(config, () => undefined)
    } catch (err) {
      const where = pg === null ? `the SQLite store in vault_server.data_dir (${config.dataDir})` : `the PostgreSQL store of vault_server.store (schema ${pg.schema ?? 'public'})`
      const fix = pg === null ? `check vault_server.data_dir in ${file}` : `check vault_server.store.url (and store.pool, store.tls) in ${file}, or start the database`
      return failTarget(cmd, `cannot open ${where} named by ${file}: ${(err as Error).message}; ${fix}`, failExitCode)
    }
    target = {
      store,
      vault,
      keysDir: join(config.dataDir, 'keys'),
      // As the Vault loads them (src/vault/server.ts): replicas keep private keys in the store.
      keysInStore: store.driver === 'postgres' ? { wrapKey } : null,
      configFile: file,
      config,
      flag: `-c ${file}`,
    }
  }
  try {
    return await fn(target)
  } finally {
    await target.store.close()
  }
}
