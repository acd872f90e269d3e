// `ledgix-gateway store migrate|status -c FILE`: for operators who migrate the PostgreSQL store
// separately from starting replicas. `migrate` applies pending versions under the same advisory lock
// the Vault takes at start (safe beside running or starting replicas); `status` only reads. The
// SQLite driver migrates data_dir/vault.db at every start, so both commands are for driver postgres.
import type { Command } from 'commander'
import type { VaultServerConfig } from '../config/index.ts'
import { loadVaultConfig } from './vault-target.ts'

type Outcome = { ok: true; lines: string[] } | { ok: false; message: string }

/** Connects with the config's pool settings and runs `fn` on one client; start-up errors read as sentences. */
async function withPostgres(config: VaultServerConfig, fn: (client: import('pg').PoolClient, schema: string) => Promise<string[]>): Promise<Outcome> {
  const [{ postgresOptionsOf }, store] = await Promise.all([import('../vault/index.ts'), import('../store/index.ts')])
  const options = postgresOptionsOf(config)
  if (options === null) {
    return { ok: false, message: 'vault_server.store.driver is sqlite: data_dir/vault.db is migrated at every start; store migrate/status are for driver postgres' }
  }
  let pool
  try {
    pool = store.createPgPool({ ...options, max: 1 })
  } catch (err) {
    return { ok: false, message: (err as Error).message }
  }
  try {
    let client
    try {
      client = await pool.connect()
    } catch (err) {
      return { ok: false, message: store.describeConnectError(err, options.url).message }
    }
    try {
      return { ok: true, lines: await fn(client, options.schema ?? 'public') }
    } catch (err) {
      return { ok: false, message: (err as Error).message }
    } finally {
      client.release()
    }
  } finally {
    await pool.end()
  }
}

function finish(cmd: Command, outcome: Outcome, file: string): void {
  if (!outcome.ok) {
    cmd.showHelpAfterError(false)
    cmd.error(`ledgix-gateway: ${outcome.message} (vault_server.store in ${file})`, { exitCode: 1, code: 'ledgix.store_failed' })
    return
  }
  const write = cmd.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s))
  for (const line of outcome.lines) write(`${line}\n`)
}

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('The Vault store (vault_server.store): schema migrations and status')
  store
    .command('migrate')
    .description('Apply pending schema migrations to the PostgreSQL store, under the advisory lock replicas take at start')
    .requiredOption('-c, --config <file>', 'config file (vault_server.store)')
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway store migrate -c gateway.yaml        url from vault_server.store.url, e.g. \${LEDGIX_DATABASE_URL}
  schema public: applied version 6; now at version 6`,
    )
    .action(async function storeMigrateAction(this: Command, opts: { config: string }) {
      const config = await loadVaultConfig(this, opts.config)
      const { migratePg, newestPgVersion } = await import('../store/index.ts')
      finish(
        this,
        await withPostgres(config, async (client, schema) => {
          const applied = await migratePg(client, { schema })
          const now = newestPgVersion()
          return [applied.length === 0 ? `schema ${schema}: already at version ${now}, nothing to apply` : `schema ${schema}: applied version ${applied.join(', ')}; now at version ${now}`]
        }),
        opts.config,
      )
    })
  store
    .command('status')
    .description('Show the PostgreSQL store\'s schema version against this binary\'s; exit 1 unless they match')
    .requiredOption('-c, --config <file>', 'config file (vault_server.store)')
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway store status -c gateway.yaml
  schema public: version 6, this binary knows 6: up to date`,
    )
    .action(async function storeStatusAction(this: Command, opts: { config: string }) {
      const config = await loadVaultConfig(this, opts.config)
      const { currentPgVersion, newestPgVersion } = await import('../store/index.ts')
      let upToDate = false
      const outcome = await withPostgres(config, async (client, schema) => {
        const current = await currentPgVersion(client)
        const known = newestPgVersion()
        upToDate = current === known
        const verdict =
          current === known ? 'up to date' : current < known ? `behind: run "ledgix-gateway store migrate -c ${opts.config}"` : 'newer than this binary: upgrade ledgix-gateway'
        return [`schema ${schema}: version ${current}, this binary knows ${known}: ${verdict}`]
      })
      finish(this, outcome, opts.config)
      if (outcome.ok && !upToDate) process.exitCode = 1
    })
}
