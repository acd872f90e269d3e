// `ledgix-gateway notify test -c FILE`: sends a test notification through every enabled channel of a
// tenant, with the config's notification settings (SMTP relay, SSRF rule) and the tenant's channels
// from the Vault's data dir, and prints one line per channel. Exit 1 when any channel failed.
import type { Command } from 'commander'
import type { TenantId } from '../core/index.ts'
import { DEFAULT_TENANT } from './vault-commands.ts'

export function registerNotifyCommands(program: Command): void {
  const notify = program.command('notify').description('Notification channels of an embedded Vault (README "Notifications")')
  notify
    .command('test')
    .description('Send a test notification through each enabled channel of a tenant and report each outcome')
    .requiredOption('-c, --config <file>', 'config file (vault_server.data_dir, vault_server.notifications)')
    .option('--tenant <id>', 'tenant whose channels to test', DEFAULT_TENANT)
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway notify test -c gateway.yaml
  webhook hook: delivered (200)
  slack slack: failed (404): receiver answered 404: no_service
  $ ledgix-gateway notify test -c gateway.yaml --tenant acme`,
    )
    .action(async function notifyTestAction(this: Command, opts: { config: string; tenant: string }) {
      const [{ ConfigError, formatProblems, loadConfig }, { openVaultStore }, { NotifyService, DEFAULT_NOTIFY_CONFIG }, { parseEncryptionKey }, { systemClock }] =
        await Promise.all([import('../config/index.ts'), import('../vault/index.ts'), import('../notify/index.ts'), import('../ledger/index.ts'), import('../core/index.ts')])
      let config
      try {
        config = await loadConfig(opts.config)
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        this.showHelpAfterError(false)
        this.error(formatProblems(err), { exitCode: 1, code: 'ledgix.config_invalid' })
      }
      const vs = config.vaultServer
      const key = vs.ledger?.encryptionKey ?? null
      // The configured driver: SQLite in data_dir, or vault_server.store's PostgreSQL database.
      const store = await openVaultStore(vs, () => undefined)
      const service = new NotifyService({
        store,
        clock: systemClock,
        config: vs.notifications ?? DEFAULT_NOTIFY_CONFIG,
        encryptionKey: key === null ? null : parseEncryptionKey(key),
      })
      const write = this.configureOutput().writeOut ?? ((s: string) => process.stdout.write(s))
      let results
      try {
        results = await service.sendTest(opts.tenant as TenantId)
      } finally {
        await service.stop()
        await store.close()
      }
      if (results.length === 0) write(`tenant ${opts.tenant} has no enabled notification channel (PUT /notification-settings)\n`)
      for (const r of results) {
        const status = r.receiver_status === null ? '' : ` (${r.receiver_status})`
        write(`${r.type} ${r.channel_id}: ${r.status}${status}${r.reason === null ? '' : `: ${r.reason}`}\n`)
      }
      if (results.some((r) => r.status === 'failed')) {
        this.showHelpAfterError(false)
        this.error('one or more channels failed', { exitCode: 1, code: 'ledgix.notify_test_failed' })
      }
    })
}
