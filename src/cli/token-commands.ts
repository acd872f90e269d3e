// `token inspect` (decode, no verification) and `token verify` (the gateway's own verifier against a
// JWKS URL or file). Exit codes: 0 valid, 1 invalid token (stdout names the code), 2 usage or JWKS
// problems. Usage errors from commander are mapped to 2 as well, so scripts can tell them apart.
import { readFile } from 'node:fs/promises'
import { Command, InvalidArgumentError, Option } from 'commander'
import type { ErrorOptions } from 'commander'
import { buildKeySet, decodeToken, verifyToken } from '../token/index.ts'
import type { ClaimPolicy, KeySet } from '../token/index.ts'

// The gateway's config defaults (src/config/defaults.ts), repeated so a one-off check needs no config.
const DEFAULT_ISSUER = 'alcv-vault'
const DEFAULT_AUDIENCE = 'ledgix-sdk'
const DEFAULT_SUBJECT = 'clearance'
const DEFAULT_SKEW = '30s'
/** jose's remote JWKS timeout. */
const JWKS_FETCH_TIMEOUT_MS = 5_000

const EXIT_INVALID = 1
const EXIT_USAGE = 2

/** Maps commander's own usage errors (exit 1) to exit 2, keeping 1 for "the token is invalid". */
class TokenCommand extends Command {
  override createCommand(name?: string): Command {
    return new TokenCommand(name)
  }

  override error(message: string, errorOptions?: ErrorOptions): never {
    const code = errorOptions?.code ?? ''
    if (code.startsWith('commander.') && (errorOptions?.exitCode ?? 1) === 1) {
      return super.error(message, { ...errorOptions, exitCode: EXIT_USAGE })
    }
    return super.error(message, errorOptions)
  }
}

function writeOut(cmd: Command, text: string): void {
  const write = cmd.configureOutput().writeOut
  if (write === undefined) process.stdout.write(text)
  else write(text)
}

/** Ends the command with an exit code and a one-line stderr message (no help text: not a usage slip). */
function exitWith(cmd: Command, exitCode: number, code: string, message: string): never {
  cmd.showHelpAfterError(false)
  return cmd.error(message, { exitCode, code })
}

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 }

function parseSkewSeconds(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim())
  if (match === null) throw new InvalidArgumentError(`expected a duration like "30s", "2m" or "0", got "${text}"`)
  return Math.floor(Number(match[1]) * UNIT_SECONDS[match[2] ?? 's']!)
}

/** "4m 12s", "3h", "2d 5h": the two largest non-zero units. */
export function formatSpan(totalSeconds: number): string {
  let rest = Math.max(0, Math.round(totalSeconds))
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0 && parts.length < 2) parts.push(`${n}${unit}`)
    else if (parts.length > 0) break
  }
  return parts.length === 0 ? '0s' : parts.join(' ')
}

function expiryLine(exp: unknown, nowMs: number): string {
  if (exp === undefined) return 'no exp claim (the gateway refuses tokens without one)'
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return 'exp claim is not a number'
  const at = new Date(exp * 1000).toISOString()
  const delta = exp - nowMs / 1000
  return delta > 0 ? `expires in ${formatSpan(delta)} (${at})` : `expired ${formatSpan(-delta)} ago (${at})`
}

function normaliseToken(input: string): string {
  const trimmed = input.trim()
  return trimmed.startsWith('Bearer ') ? trimmed.slice(7).trim() : trimmed
}

function decodePart(part: string | undefined): unknown {
  if (part === undefined || part === '') return undefined
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
  } catch {
    return undefined
  }
}

function inspectAction(jwt: string, _options: unknown, cmd: Command): void {
  const token = normaliseToken(jwt)
  const [h, p] = token.split('.')
  const header = decodePart(h)
  const claims = decodePart(p)
  if (header === undefined || claims === undefined) {
    writeOut(cmd, 'invalid: token_malformed\nheader and payload must be base64url JSON\n')
    exitWith(cmd, EXIT_INVALID, 'ledgix.token_invalid', 'cannot decode the token (token_malformed)')
  }
  const structure = decodeToken(token)
  const exp = typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>).exp : undefined
  writeOut(
    cmd,
    'NOT VERIFIED: inspect only decodes; run `token verify --jwks <url|file>` to check the signature and claims.\n' +
      `header:\n${JSON.stringify(header, null, 2)}\n` +
      `claims:\n${JSON.stringify(claims, null, 2)}\n` +
      `${expiryLine(exp, Date.now())}\n` +
      `structure: ${structure.ok ? 'ok' : `${structure.code} (${structure.detail})`}\n`,
  )
}

async function loadJwks(source: string): Promise<{ ok: true; doc: unknown } | { ok: false; message: string }> {
  let text: string
  if (source.startsWith('http://') || source.startsWith('https://')) {
    try {
      const response = await fetch(source, { signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } })
      text = await response.text()
      if (!response.ok) return { ok: false, message: `JWKS fetch failed: HTTP ${response.status} from ${source}` }
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err)
      return { ok: false, message: `JWKS fetch failed: ${reason} (${source}); check the URL and that the Vault is up` }
    }
  } else {
    try {
      text = await readFile(source, 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error'
      return { ok: false, message: `cannot read JWKS file ${source} (${code}); pass a file path or an http(s) URL` }
    }
  }
  try {
    return { ok: true, doc: JSON.parse(text) }
  } catch {
    return { ok: false, message: `JWKS from ${source} is not JSON` }
  }
}

interface VerifyOptions {
  jwks?: string
  tool?: string
  issuer: string
  audience: string
  subject: string
  skew: number
}

async function verifyAction(jwt: string, options: VerifyOptions, cmd: Command): Promise<void> {
  if (options.jwks === undefined) exitWith(cmd, EXIT_USAGE, 'ledgix.usage', 'error: --jwks <url|file> is required')
  const loaded = await loadJwks(options.jwks)
  if (!loaded.ok) exitWith(cmd, EXIT_USAGE, 'ledgix.jwks', loaded.message)
  const set: KeySet = buildKeySet(loaded.doc)
  for (const r of set.rejected) cmd.configureOutput().writeErr?.(`warning: JWKS key ${r.kid ?? '(no kid)'} ignored: ${r.reason}\n`)
  if (set.keys.size === 0) exitWith(cmd, EXIT_USAGE, 'ledgix.jwks', `JWKS from ${options.jwks} has no usable Ed25519 key`)

  const policy: ClaimPolicy = {
    issuer: options.issuer,
    audience: options.audience,
    subject: options.subject,
    clockSkewSeconds: options.skew,
    requireExp: true,
  }
  const nowMs = Date.now()
  const result = verifyToken(normaliseToken(jwt), (kid) => set.keys.get(kid), policy, nowMs)
  if (!result.ok) {
    writeOut(cmd, `invalid: ${result.code}\n${result.detail}\n`)
    exitWith(cmd, EXIT_INVALID, 'ledgix.token_invalid', `token is not valid (${result.code})`)
  }
  if (options.tool !== undefined && result.claims.tool !== options.tool) {
    writeOut(cmd, `invalid: tool_not_allowed\ntool claim is ${JSON.stringify(result.claims.tool)}, expected ${JSON.stringify(options.tool)}\n`)
    exitWith(cmd, EXIT_INVALID, 'ledgix.token_invalid', 'token is not valid (tool_not_allowed)')
  }
  writeOut(cmd, `valid\n${JSON.stringify(result.claims.raw, null, 2)}\n${expiryLine(result.claims.raw.exp, nowMs)}\n`)
}

export function registerTokenCommands(program: Command): void {
  const token = new TokenCommand('token').description('Decode or verify A-JWTs')
  token.copyInheritedSettings(program)
  program.addCommand(token)

  token
    .command('inspect')
    .description('Decode an A-JWT and print its header and claims. Does NOT verify the signature.')
    .argument('<jwt>', 'the compact token (a leading "Bearer " is ignored)')
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway token inspect eyJhbGciOiJFZERTQSIs...
  $ ledgix-gateway token inspect "Bearer $TOKEN"`,
    )
    .action(inspectAction)

  token
    .command('verify')
    .description("Verify an A-JWT's signature and claims exactly as the gateway does")
    .argument('<jwt>', 'the compact token (a leading "Bearer " is ignored)')
    .option('--jwks <url|file>', 'JWKS URL (http/https) or path to a JWKS JSON file (required)')
    .option('--tool <name>', 'also require this `tool` claim')
    .option('--issuer <iss>', 'expected iss', DEFAULT_ISSUER)
    .option('--audience <aud>', 'expected aud', DEFAULT_AUDIENCE)
    .option('--subject <sub>', 'expected sub', DEFAULT_SUBJECT)
    .addOption(
      new Option('--skew <duration>', 'clock skew allowed on exp, nbf and iat, e.g. 30s, 2m, 0')
        .argParser(parseSkewSeconds)
        .default(parseSkewSeconds(DEFAULT_SKEW), DEFAULT_SKEW),
    )
    .addHelpText(
      'after',
      `
Exit codes: 0 valid, 1 invalid token (stdout names the error code), 2 usage or JWKS problem.

Examples:
  $ ledgix-gateway token verify eyJ... --jwks http://127.0.0.1:8000/.well-known/jwks.json
  $ ledgix-gateway token verify eyJ... --jwks ./jwks.json --tool stripe_refund --skew 0
  $ ledgix-gateway token verify eyJ... --jwks ./jwks.json --audience bylaw-sdk`,
    )
    .action(verifyAction)
}
