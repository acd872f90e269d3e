// The commander program, built by a factory so tests can run it in-process with exitOverride()
// and configureOutput(). Each command group lives in its own file and registers itself here.
import { Command } from 'commander'
import { registerApiKeyCommands, registerKeyCommands } from './vault-commands.ts'
import { registerConfigCommands } from './config-commands.ts'
import { registerDemoUpstreamCommand } from './demo-upstream.ts'
import { registerLedgerCommands } from './ledger-commands.ts'
import { registerServeCommand } from './serve.ts'
import { registerTokenCommands } from './token-commands.ts'
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
  $ ledgix-gateway token verify eyJ... --jwks http://127.0.0.1:8000/.well-known/jwks.json --tool stripe_refund`,
  )
  registerServeCommand(program)
  registerConfigCommands(program)
  registerTokenCommands(program)
  registerApiKeyCommands(program)
  registerKeyCommands(program)
  registerLedgerCommands(program)
  registerDemoUpstreamCommand(program)
  return program
}

export async function run(argv: readonly string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv as string[])
}
