// `report verify FILE.json --bundle BUNDLE.json --jwks URL|FILE`: checks a downloaded compliance
// report offline (src/reports/verify.ts). Exit 0 intact, 1 not intact, 2 usage or unreadable input,
// like `ledger verify-bundle`.
import { readFile } from 'node:fs/promises'
import { Command } from 'commander'

const EXIT_NOT_INTACT = 1
const EXIT_USAGE = 2
/** A fetched JWKS must arrive quickly: this is an interactive, offline-first tool. */
const FETCH_TIMEOUT_MS = 10_000

interface VerifyOptions {
  bundle: string
  jwks: string
  json?: boolean
}

function fail(cmd: Command, exitCode: number, code: string, message: string): never {
  cmd.showHelpAfterError(false)
  return cmd.error(message, { exitCode, code })
}

async function readSource(cmd: Command, source: string, what: string): Promise<Uint8Array> {
  try {
    if (/^https?:\/\//i.test(source)) {
      const res = await fetch(source, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })
      if (!res.ok) return fail(cmd, EXIT_USAGE, 'report.io', `cannot fetch ${what} ${source}: HTTP ${res.status}`)
      return new Uint8Array(await res.arrayBuffer())
    }
    return new Uint8Array(await readFile(source))
  } catch (err) {
    if (err instanceof Error && err.name === 'CommanderError') throw err
    return fail(cmd, EXIT_USAGE, 'report.io', `cannot read ${what} ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
  }
}

function parseJson(cmd: Command, bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown
  } catch {
    return fail(cmd, EXIT_USAGE, 'report.io', `${what} is not JSON`)
  }
}

async function verifyAction(file: string, opts: VerifyOptions, cmd: Command): Promise<void> {
  const report = await readSource(cmd, file, 'report')
  const bundle = parseJson(cmd, await readSource(cmd, opts.bundle, 'bundle'), 'the bundle')
  const jwks = parseJson(cmd, await readSource(cmd, opts.jwks, 'JWKS'), 'the JWKS')
  const [{ verifyReport }, { nodeLedgerCrypto }] = await Promise.all([import('../reports/index.ts'), import('../ledger/index.ts')])
  const result = verifyReport(report, bundle, jwks, nodeLedgerCrypto)
  const out = cmd.configureOutput()
  const text = opts.json === true
    ? JSON.stringify(result, null, 2) + '\n'
    : result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.detail}`).join('\n') + `\n${result.intact ? 'intact' : 'NOT intact'}: report ${result.report_id ?? '?'} sha256 ${result.sha256}\n`
  if (out.writeOut !== undefined) out.writeOut(text)
  else process.stdout.write(text)
  if (!result.intact) fail(cmd, EXIT_NOT_INTACT, 'report.not_intact', `report ${file} is NOT intact`)
}

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('compliance reports downloaded from the Vault')
  report
    .command('verify')
    .description('verify a downloaded report JSON offline: its hash in the ledger (proof bundle of its ledgix.report row), the anchor checkpoint signature, the sample proofs')
    .argument('<file>', 'the report JSON as downloaded (GET /reports/{id}/artifacts/json)')
    .requiredOption('--bundle <file|url>', 'proof bundle of the report row: GET /ledger/proof/bundle?request_id=<report_id>')
    .requiredOption('--jwks <file|url>', "the Vault's /.well-known/jwks.json (the keys you trust)")
    .option('--json', 'print the result as JSON')
    .action(verifyAction)
}
