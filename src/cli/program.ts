// The commander program, built by a factory so tests can run it in-process with exitOverride()
// and configureOutput(). Each command group lives in its own file and registers itself here.
import { Command } from 'commander'
import { registerApiKeyCommands, registerKeyCommands } from './vault-commands.ts'
import { registerConfigCommands } from './config-commands.ts'
import { registerDemoUpstreamCommand } from './demo-upstream.ts'
import { registerLedgerCommands } from './ledger-commands.ts'
import { registerReportCommands } from './report-commands.ts'
import { registerNotifyCommands } from './notify-commands.ts'
import { registerServeCommand } from './serve.ts'
import { registerStoreCommands } from './store-commands.ts'
import { registerTokenCommands } from './token-commands.ts'
import { registerUserCommands } from './users-commands.ts'
import { VERSION } from './version.ts'

export function buildProgram(): Command {
  const program = new Command('ledgix-gateway')
    .description('Authorization boundary for AI-agent tool calls: a single-use A-JWT enforcing gateway with an embedded Ledgix Vault')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage and examples)')
    .showSuggestionAfterError(true)
  program.addHelpText(
    'after',
    `
Examples:
  $ ledgix-gateway serve -c gateway.example.yaml      run the configured mode (all-in-one by default)
  $ ledgix-gateway config validate -c gateway.yaml    list every problem in a config file
  $ ledgix-gateway token inspect eyJhbGciOi...        decode a token without verifying it
  $ ledgix-gateway token verify eyJ... --jwks http://127.0.0.1:8000/.well-known/jwks.json --tool stripe_refund

Stores (vault_server.store.driver):
  apikeys, keys, ledger verify   --data DIR (SQLite data dir) or -c FILE (the config's store: SQLite or PostgreSQL)
  users, notify test             -c FILE, either driver
  store migrate|status           -c FILE, PostgreSQL (SQLite migrates data_dir/vault.db at every start)`,
  )
  registerServeCommand(program)
  registerConfigCommands(program)
  registerTokenCommands(program)
  registerApiKeyCommands(program)
  registerKeyCommands(program)
  registerLedgerCommands(program)
  registerReportCommands(program)
  registerNotifyCommands(program)
  registerStoreCommands(program)
  registerUserCommands(program)
  registerDemoUpstreamCommand(program)
  addMissingExamples(program)
  return program
}

/**
 * Examples for commands whose own file shows none (issue 6: every --help has one). A command that
 * registers its own "Examples:" text is not listed here.
 */
const EXAMPLES: Readonly<Record<string, string>> = {
  token: `  $ ledgix-gateway token inspect eyJhbGciOi...                      decode header and claims, no verification
  $ ledgix-gateway token verify eyJ... --jwks http://127.0.0.1:8000/.well-known/jwks.json --tool stripe_refund`,
  apikeys: `  $ ledgix-gateway apikeys create --data ./data --role agent --name checkout-agent
  $ ledgix-gateway apikeys list --data ./data
  $ ledgix-gateway apikeys list -c vault.yaml          the config's store: SQLite data_dir or PostgreSQL (replicas)`,
  'apikeys create': `  $ ledgix-gateway apikeys create --data ./data --role agent --name checkout-agent   prints the key once
  $ ledgix-gateway apikeys create --data ./data --tenant acme --role reviewer --env test`,
  'apikeys list': `  $ ledgix-gateway apikeys list --data ./data
  $ ledgix-gateway apikeys list --data ./data --tenant acme --json`,
  'apikeys revoke': `  $ ledgix-gateway apikeys revoke key_0b6c... --data ./data                 the key stops working at once
  $ ledgix-gateway apikeys revoke key_0b6c... -c vault.yaml                 PostgreSQL: every replica refuses it within 1 s`,
  keys: `  $ ledgix-gateway keys list --data ./data
  $ ledgix-gateway keys rotate --data ./data
  $ ledgix-gateway keys rotate -c vault.yaml           PostgreSQL: sealed under vault_server.ledger.encryption_key`,
  'keys generate': `  $ ledgix-gateway keys generate --data ./data                             first signing key of a new Vault`,
  'keys rotate': `  $ ledgix-gateway keys rotate --data ./data         new signing key; the old one stays in the JWKS, retired
  $ ledgix-gateway keys rotate -c vault.yaml         on the config's store; PostgreSQL replicas sign with it within 1 s`,
  'keys revoke': `  $ ledgix-gateway keys revoke vault-key-20260101-ab12cd34 --data ./data   compromised key: leaves the JWKS now`,
  'keys list': `  $ ledgix-gateway keys list --data ./data
  $ ledgix-gateway keys list -c vault.yaml`,
  store: `  $ ledgix-gateway store status -c gateway.yaml                     schema version against this binary's
  $ ledgix-gateway store migrate -c gateway.yaml                    apply pending migrations (PostgreSQL)`,
  notify: `  $ ledgix-gateway notify test -c gateway.yaml                      one test message per enabled channel`,
  ledger: `  $ ledgix-gateway ledger verify-bundle bundle.json --jwks http://127.0.0.1:8000/.well-known/jwks.json`,
  report: `  $ ledgix-gateway report verify rpt_01….json --bundle bundle.json --jwks http://127.0.0.1:8000/.well-known/jwks.json`,
  'report verify': `  $ curl -H "X-Vault-API-Key: $KEY" $VAULT/reports/$ID/artifacts/json > report.json
  $ curl -H "X-Vault-API-Key: $KEY" "$VAULT/ledger/proof/bundle?request_id=$ID" > bundle.json
  $ ledgix-gateway report verify report.json --bundle bundle.json --jwks $VAULT/.well-known/jwks.json`,
}

function addMissingExamples(program: Command): void {
  const visit = (command: Command, path: string): void => {
    const text = EXAMPLES[path]
    if (text !== undefined) command.addHelpText('after', `\nExamples:\n${text}`)
    for (const sub of command.commands) visit(sub, path === '' ? sub.name() : `${path} ${sub.name()}`)
  }
  for (const sub of program.commands) visit(sub, sub.name())
}

export async function run(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv as string[])
}
