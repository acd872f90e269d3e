// The same gateway suite in both modes (issue 6, STYLE §4 describeMatrix): `describeModes` runs a
// body once against a paired stack (a real vault-only `serve` process + a paired `serve` process)
// and once against an all-in-one `serve` process. Tokens come from the real Vault (clearance) or are
// minted here with the Vault's own signing key, read from its data_dir — so hostile claims can be
// forged with a key the Vault trusts.
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe } from 'node:test'
import type { PublicJwk } from '../../src/core/index.ts'
import { send } from './http-client.ts'
import type { Reply } from './http-client.ts'
import { eventually, spawnServe } from './serve-process.ts'
import type { ServeProcess } from './serve-process.ts'
import type { TestSigner } from './tokens.ts'
import { Upstream } from './upstream.ts'

export type StackMode = 'paired' | 'all-in-one'
export const MODES: readonly StackMode[] = ['paired', 'all-in-one']

export const API_KEY = 'sk_test_modes_bootstrap'
export const ADMIN_KEY = 'adm_test_modes'

/** Allows every call of the tools the suites use, so real clearances come back approved. */
const POLICY = `policy_id: modes-allow
tools: [stripe_refund, crm_lookup, create_stripe_payment]
rules:
  - id: allow-all
    when: "true"
    effect: allow
    reason: test stack
`

export interface StackOptions {
  /** YAML list items under routes:, with UPSTREAM replaced by the upstream's URL. */
  routes: string
  /** Extra top-level YAML for the gateway process (e.g. a jwks: section). */
  gatewayExtra?: string
  /** gateway.workers (all-in-one only in these suites). */
  workers?: number
}

export interface Stack {
  mode: StackMode
  gatewayUrl: string
  adminUrl: string
  vaultUrl: string
  upstream: Upstream
  /** The Vault's current signing key as a test signer (re-read after rotation or revocation). */
  signer(): Promise<TestSigner>
  /** POST /request-clearance with the bootstrap key. */
  clearance(body: Record<string, unknown>): Promise<Reply>
  /** An approved token for these arguments, from the real Vault. */
  approvedToken(body: Record<string, unknown>): Promise<string>
  /** Burns the gateway attempted (its burn histogram count, any result). */
  burns(): Promise<number>
  admin(method: string, path: string): Promise<Reply>
  /** The processes running a Vault, for mode-specific faults. */
  vaultProcess: ServeProcess
  gatewayProcess: ServeProcess
  close(): Promise<void>
}

function vaultSection(dataDir: string, policiesDir: string): string {
  return `vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${dataDir}
  policies_dir: ${policiesDir}
  admin_api_key: ${ADMIN_KEY}
`
}

const COMMON = `admin:
  listen: { host: 127.0.0.1, port: 0 }
token:
  clock_skew: 0s
logging:
  level: info
`

export async function startStack(mode: StackMode, options: StackOptions): Promise<Stack> {
  const upstream = await new Upstream().start()
  try {
    return await startOn(upstream, mode, options)
  } catch (err) {
    // A failed start must not leave the upstream holding the test file's event loop open.
    await upstream.close()
    throw err
  }
}

async function startOn(upstream: Upstream, mode: StackMode, options: StackOptions): Promise<Stack> {
  const routes = options.routes.replaceAll('UPSTREAM', upstream.url)
  const env = { LEDGIX_BOOTSTRAP_API_KEY: API_KEY }
  const workers = options.workers ?? 1
  const gatewaySection = `gateway:\n  listen: { host: 127.0.0.1, port: 0 }\n  drain_timeout: 2s\n  workers: ${workers}\n`
  const dir = preparePolicies(mkdtempSync(join(tmpdir(), 'ledgix-modes-')))
  const vaultYaml = vaultSection(join(dir, 'data'), join(dir, 'policies'))
  let vaultProcess: ServeProcess
  let gatewayProcess: ServeProcess
  if (mode === 'all-in-one') {
    const yaml = `mode: all-in-one\n${gatewaySection}${COMMON}${vaultYaml}${options.gatewayExtra ?? ''}\nroutes:\n${routes}`
    vaultProcess = await spawnServe(yaml, { env, dir })
    gatewayProcess = vaultProcess
  } else {
    vaultProcess = await spawnServe(`mode: vault-only\n${COMMON}${vaultYaml}`, { env, dir })
    const yaml = `mode: paired\n${gatewaySection}${COMMON}vault:\n  url: ${vaultProcess.vaultUrl}\n  api_key: ${API_KEY}\n  timeout: 1s\n${options.gatewayExtra ?? ''}\nroutes:\n${routes}`
    try {
      gatewayProcess = await spawnServe(yaml)
    } catch (err) {
      await vaultProcess.stop()
      throw err
    }
  }
  const gatewayUrl = gatewayProcess.gatewayUrl
  const vaultUrl = vaultProcess.vaultUrl
  try {
    await eventually(async () => (await send(`${gatewayProcess.adminUrl}/readyz`)).status === 200, 10_000)
  } catch (err) {
    if (gatewayProcess !== vaultProcess) await gatewayProcess.stop()
    await vaultProcess.stop()
    throw err
  }
  const signers = new Map<string, TestSigner>()
  const admin = (method: string, path: string): Promise<Reply> =>
    send(`${vaultUrl}/admin${path}`, { method, headers: { 'x-admin-api-key': ADMIN_KEY } })
  const clearance = (body: Record<string, unknown>): Promise<Reply> =>
    send(`${vaultUrl}/request-clearance`, { method: 'POST', headers: { 'x-vault-api-key': API_KEY, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return {
    mode,
    gatewayUrl,
    adminUrl: gatewayProcess.adminUrl,
    vaultUrl,
    upstream,
    vaultProcess,
    gatewayProcess,
    admin,
    clearance,
    async approvedToken(body) {
      const reply = await clearance({ agent_id: 'agent-7', session_id: 'sess-1', ...body })
      if (reply.json['status'] !== 'approved' || typeof reply.json['token'] !== 'string') throw new Error(`clearance not approved: ${reply.text}`)
      return reply.json['token']
    },
    async signer() {
      const keys = await admin('GET', '/keys')
      const kid = keys.json['active_kid'] as string
      const known = signers.get(kid)
      if (known !== undefined) return known
      const privateKey = createPrivateKey(readFileSync(join(vaultProcess.dir, 'data', 'keys', `${kid}.pem`)))
      const publicKey = createPublicKey(privateKey)
      const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x
      const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' }
      const signer = { kid, privateKey, publicKey, jwk }
      signers.set(kid, signer)
      return signer
    },
    async burns() {
      const text = (await send(`${gatewayProcess.adminUrl}/metrics`)).text
      let total = 0
      for (const m of text.matchAll(/^ledgix_burn_duration_seconds_count\{[^}]*\} (\d+)/gm)) total += Number(m[1])
      return total
    },
    async close() {
      if (gatewayProcess !== vaultProcess) await gatewayProcess.stop()
      await vaultProcess.stop()
      await upstream.close()
    },
  }
}

function preparePolicies(dir: string): string {
  mkdirSync(join(dir, 'policies'), { recursive: true })
  writeFileSync(join(dir, 'policies', 'allow.yaml'), POLICY)
  return dir
}

/** Run `body` once per mode, each against its own stack started before and closed after it. */
export function describeModes(title: string, options: StackOptions, body: (ctx: { stack: () => Stack; mode: StackMode }) => void): void {
  for (const mode of MODES) {
    describe(`${title} [${mode}]`, () => {
      let stack: Stack | null = null
      before(async () => {
        stack = await startStack(mode, options)
      })
      after(async () => {
        await stack?.close()
      })
      body({
        mode,
        stack: () => {
          if (stack === null) throw new Error('stack not started')
          return stack
        },
      })
    })
  }
}
