// `ledger` command group. `ledger verify-bundle` checks a proof bundle offline, with no server: every
// step of the strict verifier is printed. Exit codes: 0 intact, 1 not intact, 2 usage or I/O error.
import { readFile } from 'node:fs/promises'
import { Command } from 'commander'
import type { ErrorOptions } from 'commander'
import { BUNDLE_STEP_LABELS, nodeLedgerCrypto, verifyProofBundle } from '../ledger/index.ts'
import type { BundleVerification, StepStatus } from '../ledger/index.ts'

/** A fetched JWKS must arrive quickly: this is an interactive, offline-first tool. */
const JWKS_FETCH_TIMEOUT_MS = 10_000

const EXIT_NOT_INTACT = 1
const EXIT_USAGE = 2

const MARKS: Readonly<Record<StepStatus, string>> = { ok: '✓', fail: '✗', skipped: '–' }

/**
 * Usage mistakes exit 2, so a script can tell "bad invocation" from "bundle not intact" (1).
 * Commander's own parse errors default to 1; its codes all start with "commander.".
 */
class LedgerCommand extends Command {
  override createCommand(name?: string): Command {
    return new LedgerCommand(name)
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const code = errorOptions?.code ?? 'commander.error'
    const exitCode = errorOptions?.exitCode ?? (code.startsWith('commander.') ? EXIT_USAGE : 1)
    return super.error(message, { code, exitCode })
  }
}

interface VerifyBundleOptions {
  jwks?: string
  trustEmbeddedKeys?: boolean
  requireEventBody?: boolean
  json?: boolean
}

/** An outcome, not a usage mistake: no "(run with --help …)" hint after it. */
function exitWith(cmd: Command, exitCode: number, code: string, message: string): never {
  cmd.showHelpAfterError(false)
  return cmd.error(message, { exitCode, code })
}

function writeOut(cmd: Command, text: string): void {
  const out = cmd.configureOutput()
  if (out.writeOut !== undefined) out.writeOut(text)
  else process.stdout.write(text)
}

async function readJson(cmd: Command, source: string, what: string): Promise<unknown> {
  let text: string
  try {
    if (/^https?:\/\//i.test(source)) {
      const res = await fetch(source, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
      if (!res.ok) return exitWith(cmd, EXIT_USAGE, 'ledger.io', `cannot fetch ${what} ${source}: HTTP ${res.status}`)
      text = await res.text()
    } else {
      text = await readFile(source, 'utf8')
    }
  } catch (err) {
    if (err instanceof Error && err.name === 'CommanderError') throw err
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    return exitWith(cmd, EXIT_USAGE, 'ledger.io', `cannot read ${what} ${source}: ${reason}`)
  }
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    return exitWith(cmd, EXIT_USAGE, 'ledger.io', `${what} ${source} is not JSON: ${(err as Error).message}`)
  }
}

function report(result: BundleVerification, opts: VerifyBundleOptions): string {
  const lines: string[] = []
  if (opts.jwks === undefined) {
    lines.push(opts.trustEmbeddedKeys === true
      ? '! no --jwks: trusting the keys embedded in the bundle, as asked. This proves only that the bundle is self-consistent.'
      : '! no --jwks: the keys embedded in the bundle are unpinned, so signatures prove nothing; failing closed.\n' +
        '  Pass --jwks URL|FILE (the Vault\'s /.well-known/jwks.json), or --trust-embedded-keys to accept them.')
  }
  for (const step of result.steps) lines.push(`${MARKS[step.status]} ${BUNDLE_STEP_LABELS[step.step]}: ${step.message}`)
  const failed = result.steps.filter((s) => s.status === 'fail').length
  lines.push(result.intact
    ? `intact: all ${result.steps.length - countSkipped(result)} checks passed; latest checkpoint ${result.latest_checkpoint_hash ?? '-'}`
    : `NOT intact: ${failed} of ${result.steps.length} checks failed`)
  return lines.join('\n') + '\n'
}

function countSkipped(result: BundleVerification): number {
  return result.steps.filter((s) => s.status === 'skipped').length
}

async function verifyBundleAction(file: string, opts: VerifyBundleOptions, cmd: Command): Promise<void> {
  const bundle = await readJson(cmd, file, 'bundle')
  const pinnedJwks = opts.jwks === undefined ? undefined : await readJson(cmd, opts.jwks, 'JWKS')
  const result = verifyProofBundle(bundle, nodeLedgerCrypto, {
    ...(pinnedJwks === undefined ? {} : { pinnedJwks }),
    trustEmbeddedKeys: opts.trustEmbeddedKeys === true,
    requireEventBody: opts.requireEventBody === true,
  })
  writeOut(cmd, opts.json === true ? JSON.stringify(result, null, 2) + '\n' : report(result, opts))
  if (!result.intact) exitWith(cmd, EXIT_NOT_INTACT, 'ledger.not_intact', `bundle ${file} is NOT intact`)
}

export function registerLedgerCommands(program: Command): void {
  const ledger = new LedgerCommand('ledger').description('Tamper-evident ledger tools')
  ledger.copyInheritedSettings(program)
  program.addCommand(ledger)
  ledger
    .command('verify-bundle')
    .description('Verify a proof bundle (GET /ledger/proof/bundle) offline and explain each step')
    .argument('<file>', 'the bundle JSON file')
    .option('--jwks <url|file>', 'pin the signing keys: the Vault\'s JWKS URL or a saved JWKS file')
    .option('--trust-embedded-keys', 'without --jwks, accept the keys embedded in the bundle (proves self-consistency only)')
    .option('--require-event-body', 'fail, instead of skip, when the event body is redacted (intent_hash "")')
    .option('--json', 'print the verification result as JSON instead of ✓/✗ lines')
    .addHelpText('after', `
Every check is printed: event hash recomputed from the event, leaf hash, signed receipt, inclusion
checkpoint (payload, hash, signature), tree size binding, inclusion proof, and — when the bundle has
one — the latest checkpoint and the consistency proof to it. Embedded keys are trusted only when they
match the pinned JWKS; small-order and non-canonical keys are always refused.

Exit status: 0 intact, 1 not intact (including: no pinned keys), 2 usage or I/O error.

Examples:
  $ ledgix-gateway ledger verify-bundle bundle.json --jwks http://127.0.0.1:8000/.well-known/jwks.json
  $ ledgix-gateway ledger verify-bundle bundle.json --jwks jwks.json --json
  $ ledgix-gateway ledger verify-bundle bundle.json --trust-embedded-keys     self-consistency only`)
    .action(verifyBundleAction)
}
