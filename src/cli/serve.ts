// `ledgix-gateway serve -c FILE`: the command's definition and help. The composition root itself
// (serve-run.ts) is imported when the command runs, so `--version`, `--help` and the other commands
// never load the gateway, the Vault or their dependencies (cold start, issue 7).
import type { Command } from 'commander'

/** The quickstart's demo route points here (gateway.example.yaml). */
export const DEMO_UPSTREAM_PORT = 4000
/** Seeds the embedded Vault's first API key when the config names none. */
export const BOOTSTRAP_ENV = 'LEDGIX_BOOTSTRAP_API_KEY'

export interface ServeOptions {
  config: string
  readyFile?: string
  /** `--demo-upstream [port]`: true for the default port, or the port as given. */
  demoUpstream?: string | true
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Run the configured mode: all-in-one (gateway + embedded Vault), paired (gateway, remote Vault) or vault-only')
    .requiredOption('-c, --config <file>', 'YAML configuration file')
    .option(
      '--ready-file <file>',
      'once listening, write {"pid","gateway","admin","vault"?,"demo_upstream"?} (each {"host","port"}) to this file; supervisors and tests read bound ports here (port 0 in the config picks a free one)',
    )
    .option('--demo-upstream [port]', `also run the demo echo upstream (ledgix-gateway demo-upstream) on 127.0.0.1, default port ${DEMO_UPSTREAM_PORT}`)
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway serve -c gateway.example.yaml --demo-upstream    the quickstart (what npm start runs)
  $ ${BOOTSTRAP_ENV}=sk_test_mykey ledgix-gateway serve -c config/all-in-one.yaml
  $ ledgix-gateway serve -c config/paired.yaml --ready-file /run/ledgix/ready.json

The embedded Vault (all-in-one, vault-only) seeds the default tenant's first API key on an empty
store from vault_server.bootstrap_api_key, else ${BOOTSTRAP_ENV}, else a generated key printed once.
gateway.workers: N|auto runs the gateway in N cluster workers; in all-in-one they burn through the
primary, which owns the store. Signals: SIGTERM/SIGINT drain in-flight requests
(gateway.drain_timeout) and exit 0; SIGHUP reloads the config.`,
    )
    .action(async (options: ServeOptions) => {
      const { serve } = await import('./serve-run.ts')
      const code = await serve(options)
      process.exit(code)
    })
}
