// `config validate` (load a file with the same loader `serve` uses and list every problem) and
// `config schema` (print the JSON Schema editors use to complete and check the YAML).
import type { Command } from 'commander'
import type { Config } from '../config/index.ts'

const REDACTED = '[redacted]'

export function registerConfigCommands(program: Command): void {
  const config = program
    .command('config')
    .description('check configuration files and print the config JSON Schema')
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway config validate -c gateway.yaml
  $ ledgix-gateway config schema > ledgix-gateway.schema.json`,
    )

  config
    .command('validate')
    .description('load a config file exactly as `serve` would and report every problem (exit 1 if any)')
    .requiredOption('-c, --config <file>', 'YAML config file')
    .option('--print', 'also print the normalised config as JSON (durations in ms, sizes in bytes, secrets redacted)')
    .addHelpText(
      'after',
      `
${'${VAR}'} and ${'${VAR:-default}'} are expanded from the environment, as at serve time.

Examples:
  $ ledgix-gateway config validate -c gateway.yaml
  gateway.yaml: OK (mode all-in-one, 1 route)
  $ LEDGIX_VAULT_URL=https://vault.internal:8000 LEDGIX_VAULT_API_KEY=sk_x ledgix-gateway config validate -c config/paired.yaml
  $ ledgix-gateway config validate -c broken.yaml
  broken.yaml:14 routes[1].upstream.connect_timeout: expected a duration like "30s" (units ms, s, m, h, d), got "30 sec"
  $ ledgix-gateway config validate -c gateway.yaml --print`,
    )
    .action(async function validateAction(this: Command, opts: { config: string; print?: boolean }) {
      // The config module (YAML, TypeBox, Ajv) loads when a config command runs, not at start-up.
      const { ConfigError, formatProblems, loadConfig } = await import('../config/index.ts')
      let loaded: Config
      try {
        loaded = await loadConfig(opts.config)
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        // The problem list is the whole message; the usage hint would bury it.
        this.showHelpAfterError(false)
        this.error(formatProblems(err), { exitCode: 1, code: 'ledgix.config_invalid' })
      }
      const out = this.configureOutput()
      const n = loaded.routes.length
      out.writeOut?.(`${opts.config}: OK (mode ${loaded.mode}, ${n} route${n === 1 ? '' : 's'})\n`)
      if (opts.print === true) out.writeOut?.(`${JSON.stringify(redact(loaded), null, 2)}\n`)
    })

  config
    .command('schema')
    .description('print the JSON Schema of the config file (draft-07)')
    .addHelpText(
      'after',
      `
Point your editor at it for completion and checks, e.g. with the YAML language server:
  # yaml-language-server: $schema=./ledgix-gateway.schema.json

Examples:
  $ ledgix-gateway config schema > ledgix-gateway.schema.json
  $ ledgix-gateway config schema | jq '.properties.routes.items.properties | keys'`,
    )
    .action(async function schemaAction(this: Command) {
      const { configJsonSchema } = await import('../config/index.ts')
      this.configureOutput().writeOut?.(`${JSON.stringify(configJsonSchema, null, 2)}\n`)
    })
}

// Keys whose values are credentials (apiKey, adminApiKey, judge.apiKey, signingKey.pem, …).
const SECRET_KEY = /(api_?key|pem|secret|password|private_?key)$/i

/** A copy for printing, with every credential replaced. */
function redact(value: unknown, key = ''): unknown {
  if (typeof value === 'string' && SECRET_KEY.test(key)) return REDACTED
  if (Array.isArray(value)) return value.map((v) => redact(v))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]))
  }
  return value
}
