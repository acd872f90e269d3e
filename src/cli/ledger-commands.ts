// `ledger` command group. `ledger verify-bundle` checks a proof bundle offline, with no server: every
// step of the strict verifier is printed. `ledger verify --data DIR` runs the full store verification
// of a stopped instance's SQLite data dir; `ledger verify -c FILE` that of the config's store, SQLite
// or PostgreSQL (the pass GET /ledger/verify makes, so replicas may be running). Exit codes: 0
// intact, 1 not intact, 2 usage or I/O error.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Command } from 'commander'
import type { ErrorOptions } from 'commander'
import { systemClock } from '../core/index.ts'
import type { TenantId } from '../core/index.ts'
import type { BundleVerification, StepStatus, StoreVerification } from '../ledger/index.ts'
import type { Store } from '../store/index.ts'
import { withVaultTarget } from './vault-target.ts'

// The ledger and the store (native SQLite addon) load only when a ledger command runs.
type LedgerModule = typeof import('../ledger/index.ts')

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

function report(result: BundleVerification, opts: VerifyBundleOptions, labels: LedgerModule['BUNDLE_STEP_LABELS']): string {
  const lines: string[] = []
  if (opts.jwks === undefined) {
    lines.push(opts.trustEmbeddedKeys === true
      ? '! no --jwks: trusting the keys embedded in the bundle, as asked. This proves only that the bundle is self-consistent.'
      : '! no --jwks: the keys embedded in the bundle are unpinned, so signatures prove nothing; failing closed.\n' +
        '  Pass --jwks URL|FILE (the Vault\'s /.well-known/jwks.json), or --trust-embedded-keys to accept them.')
  }
  for (const step of result.steps) lines.push(`${MARKS[step.status]} ${labels[step.step]}: ${step.message}`)
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
  const { BUNDLE_STEP_LABELS, nodeLedgerCrypto, verifyProofBundle } = await import('../ledger/index.ts')
  const result = verifyProofBundle(bundle, nodeLedgerCrypto, {
    ...(pinnedJwks === undefined ? {} : { pinnedJwks }),
    trustEmbeddedKeys: opts.trustEmbeddedKeys === true,
    requireEventBody: opts.requireEventBody === true,
  })
  writeOut(cmd, opts.json === true ? JSON.stringify(result, null, 2) + '\n' : report(result, opts, BUNDLE_STEP_LABELS))
  if (!result.intact) exitWith(cmd, EXIT_NOT_INTACT, 'ledger.not_intact', `bundle ${file} is NOT intact`)
}

interface VerifyDataOptions {
  data?: string
  config?: string
  tenant?: string
  encryptionKeyEnv: string
  json?: boolean
}

/** The published (non-revoked) keys of the instance, as the JWKS it serves. */
async function storeJwks(store: Store): Promise<{ keys: object[] }> {
  const records = await store.listSigningKeys()
  return { keys: records.filter((r) => r.revokedAtMs === null).map((r) => ({ kty: 'OKP', crv: 'Ed25519', x: r.publicX, kid: r.kid })) }
}

function verifyLine(tenantId: string, r: StoreVerification): string {
  return r.intact
    ? `✓ tenant ${tenantId}: intact — ${r.verified_entries} entries (${r.unsealed_entries} not sealed yet), ${r.verified_checkpoints} checkpoints, tree size ${r.tree_size}`
    : `✗ tenant ${tenantId}: DAMAGED — ${r.error}`
}

async function verifyDataAction(opts: VerifyDataOptions, cmd: Command): Promise<void> {
  if (opts.data !== undefined && opts.config === undefined) {
    const dbPath = join(opts.data, 'vault.db')
    if (!existsSync(dbPath)) return exitWith(cmd, EXIT_USAGE, 'ledger.io', `no Vault store at ${dbPath}: pass the vault_server.data_dir of a stopped instance`)
  }
  const { DEFAULT_MMD_SECONDS, LedgerService, parseEncryptionKey } = await import('../ledger/index.ts')
  const results = await withVaultTarget(
    cmd,
    opts,
    async ({ store, config, configFile }) => {
      // The config's ledger.encryption_key (as the Vault decrypts), else the environment variable.
      const fromConfig = config?.ledger?.encryptionKey ?? null
      const keyText = fromConfig ?? process.env[opts.encryptionKeyEnv]
      const encryptionKey = keyText === undefined || keyText === '' ? null : parseEncryptionKey(keyText)
      if (keyText !== undefined && keyText !== '' && encryptionKey === null) {
        const where = fromConfig !== null ? `${configFile}: vault_server.ledger.encryption_key` : opts.encryptionKeyEnv
        return exitWith(cmd, EXIT_USAGE, 'ledger.usage', `${where} is not a 32-byte key (64 hex or base64url)`)
      }
      const hint = configFile === null ? `set ${opts.encryptionKeyEnv} to the instance's ledger.encryption_key` : `set vault_server.ledger.encryption_key in ${configFile} (or ${opts.encryptionKeyEnv})`
      return verifyStore(cmd, store, opts.tenant, encryptionKey, hint, { DEFAULT_MMD_SECONDS, LedgerService })
    },
    EXIT_USAGE,
  )
  writeOut(cmd, opts.json === true ? JSON.stringify({ tenants: results }, null, 2) + '\n' : results.map((r) => verifyLine(r.tenant_id, r.result)).join('\n') + '\n')
  const damaged = results.filter((r) => !r.result.intact)
  if (damaged.length > 0) exitWith(cmd, EXIT_NOT_INTACT, 'ledger.not_intact', `ledger of ${damaged.map((r) => r.tenant_id).join(', ')} is NOT intact`)
}

async function verifyStore(
  cmd: Command,
  store: Store,
  tenant: string | undefined,
  encryptionKey: Buffer | null,
  keyHint: string,
  ledger: Pick<LedgerModule, 'DEFAULT_MMD_SECONDS' | 'LedgerService'>,
): Promise<Array<{ tenant_id: string; result: StoreVerification }>> {
  const results: Array<{ tenant_id: string; result: StoreVerification }> = []
  const tenants = tenant !== undefined ? [tenant as TenantId] : (await store.listTenants()).map((t) => t.tenantId)
  const jwks = await storeJwks(store)
  const service = new ledger.LedgerService({
    store, clock: systemClock, signer: () => null, sealBatchSize: 1, sealIntervalMs: 1000, mmdSeconds: ledger.DEFAULT_MMD_SECONDS,
    encryptionKey, readOnly: true, onError: () => undefined,
  })
  for (const tenantId of tenants) {
    const counts = await store.countLedgerEvents(tenantId)
    const encrypted = encryptionKey === null && counts.total > 0 && (await store.listLedgerEvents(tenantId, { after: null, limit: 1, order: 'asc' }))[0]?.bodyCipher != null
    if (encrypted) return exitWith(cmd, EXIT_USAGE, 'ledger.usage', `tenant ${tenantId}: event bodies are encrypted at rest; ${keyHint}`)
    results.push({ tenant_id: tenantId, result: await service.verify(tenantId, jwks) })
  }
  return results
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
  ledger
    .command('verify')
    .description('Verify a Vault\'s whole ledger from its store (every row, node, checkpoint and signature): --data DIR (SQLite, stopped) or -c FILE (SQLite or PostgreSQL)')
    .option('--data <dir>', 'Vault data directory (vault_server.data_dir) of a stopped instance, SQLite')
    .option('-c, --config <file>', 'config file: verify the store it names (vault_server.store: SQLite data_dir or PostgreSQL, replicas may be running); its ledger.encryption_key decrypts')
    .option('--tenant <id>', 'only this tenant (default: every tenant)')
    .option('--encryption-key-env <name>', 'environment variable holding ledger.encryption_key (with -c: when the config sets none)', 'LEDGIX_LEDGER_ENCRYPTION_KEY')
    .option('--json', 'print the verification results as JSON')
    .addHelpText('after', `
Recomputes every event hash from the stored row (decrypting bodies encrypted at rest), every leaf and
receipt signature, the Merkle tree node by node against the stored nodes and every checkpoint root,
and every checkpoint's payload, hash, signature and chain link. The first damage is named precisely
(seq, leaf_index, checkpoint id or node, and what differs). Keys are the instance's published keys.

Exit status: 0 intact, 1 damaged, 2 usage or I/O error.

Examples:
  $ ledgix-gateway ledger verify --data ./data
  $ ledgix-gateway ledger verify -c config/replicas/vault-replica.yaml          PostgreSQL (or SQLite) from the config
  $ LEDGIX_LEDGER_ENCRYPTION_KEY=... ledgix-gateway ledger verify --data ./data --tenant default --json`)
    .action(verifyDataAction)
}
