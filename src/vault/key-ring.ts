// The Vault's Ed25519 signing key ring: private keys as PKCS#8 PEM files (mode 0600) in
// data_dir/keys or one key from the environment, metadata (kid, active_from, retired_at, revoked_at)
// in the store. Retired keys stay in the JWKS (ledger receipts must stay verifiable, spec §5.3);
// revoked keys leave the JWKS and verification at once. Rotations are one guarded store op (never two
// active keys); a running Vault re-reads the ring when the store's key-ring generation moves (the CLI
// writing the same data dir), polled every KEY_RING_POLL_MS.
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, generateKeyPair as generateKeyPairCb, randomBytes } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { mkdir, open, readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { LedgixError, checkEd25519PublicKey } from '../core/index.ts'
import type { Clock, JwksDocument, PublicJwk } from '../core/index.ts'
import type { SigningKeyRecord, Store } from '../store/index.ts'

const generateKeyPair = promisify(generateKeyPairCb)

/**
 * How often a running Vault checks the store's key-ring generation (one one-row read): the bound on
 * how long a `keys revoke|rotate` from the CLI on the live data dir takes to reach verification,
 * the JWKS and the signer. A paired gateway verifies with its cached JWKS until its own refresh, but
 * every token ends at the Vault's burn, which refuses the revoked kid within this bound.
 */
export const KEY_RING_POLL_MS = 1_000

export interface EnvSigningKey {
  kid: string
  /** PKCS#8 PEM text of an Ed25519 private key. */
  pem: string
}

export interface KeyRingOptions {
  store: Store
  /** Directory holding `<kid>.pem` files. */
  keysDir: string
  clock: Clock
  envKey?: EnvSigningKey | null
  /** Generate a first key when none is active (the server does; `keys list` does not). */
  createIfMissing?: boolean
  /**
   * Several processes share the store (PostgreSQL replicas): new private keys are written into the
   * store with their rotation (sealed with `wrapKey`, 32 bytes, when set; else as plain PKCS#8), not
   * into keysDir, so every replica can sign with the key any of them rotated to.
   */
  keysInStore?: { wrapKey: Buffer | null }
}

/** Sealed private key formats (first byte). */
const SECRET_PLAIN = 0
const SECRET_AES_GCM = 1

function secretAad(kid: string): Buffer {
  return Buffer.from(`ledgix-signing-key:${kid}`, 'utf8')
}

/** PKCS#8 DER of `privateKey`, sealed for the store (AES-256-GCM bound to the kid when a wrap key is set). */
export function sealSigningKey(kid: string, privateKey: KeyObject, wrapKey: Buffer | null): Uint8Array {
  const der = privateKey.export({ format: 'der', type: 'pkcs8' })
  if (wrapKey === null) return Buffer.concat([Buffer.from([SECRET_PLAIN]), der])
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', wrapKey, iv)
  cipher.setAAD(secretAad(kid))
  const body = Buffer.concat([cipher.update(der), cipher.final()])
  return Buffer.concat([Buffer.from([SECRET_AES_GCM]), iv, cipher.getAuthTag(), body])
}

/** The private key, or an Error saying why it cannot be opened here (wrong or missing wrap key). */
export function openSigningKey(kid: string, sealed: Uint8Array, wrapKey: Buffer | null): KeyObject | Error {
  const b = Buffer.from(sealed)
  if (b[0] === SECRET_PLAIN) return createPrivateKey({ key: b.subarray(1), format: 'der', type: 'pkcs8' })
  if (b[0] !== SECRET_AES_GCM) return new Error(`signing key ${kid}: unknown sealed format ${b[0]}`)
  if (wrapKey === null) return new Error(`signing key ${kid} is sealed with vault_server.ledger.encryption_key, which this replica lacks`)
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKey, b.subarray(1, 13))
    decipher.setAAD(secretAad(kid))
    decipher.setAuthTag(b.subarray(13, 29))
    const der = Buffer.concat([decipher.update(b.subarray(29)), decipher.final()])
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  } catch {
    return new Error(`signing key ${kid} does not open with this replica's vault_server.ledger.encryption_key`)
  }
}

export interface Signer {
  kid: string
  privateKey: KeyObject
}

/** base64url of the raw 32-byte public key. */
function publicX(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' }) as { x?: string }
  if (typeof jwk.x !== 'string') throw new Error('not an Ed25519 public key')
  return jwk.x
}

function newKid(nowMs: number): string {
  return `vault-key-${new Date(nowMs).toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(4).toString('hex')}`
}

export class KeyRing {
  #o: KeyRingOptions
  #records: SigningKeyRecord[] = []
  #signer: Signer | null = null
  #verify = new Map<string, KeyObject>()
  #jwks: JwksDocument = { keys: [] }
  #jwksJson = '{"keys":[]}'
  /** The store's key-ring generation this ring was loaded at. */
  #version = ''
  #refreshing: Promise<void> | null = null

  private constructor(options: KeyRingOptions) {
    this.#o = options
  }

  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options)
    if (options.envKey) await ring.#adoptEnvKey(options.envKey)
    await ring.reload()
    if (ring.#signer === null && options.createIfMissing === true) {
      try {
        await ring.generate()
      } catch (err) {
        // Replicas starting together on an empty store: one rotation wins, the others adopt its key.
        if (!(err instanceof LedgixError && err.code === 'key_ring_changed' && ring.#signer !== null)) throw err
      }
    }
    return ring
  }

  /** The key new tokens are signed with; null only when the ring is empty (CLI use). */
  get signer(): Signer | null {
    return this.#signer
  }

  /** Verification key for a kid: active or retired, never revoked. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.#verify.get(kid)
  }

  isRevoked(kid: string): boolean {
    for (const r of this.#records) if (r.kid === kid) return r.revokedAtMs !== null
    return false
  }

  get records(): readonly SigningKeyRecord[] {
    return this.#records
  }

  get jwks(): JwksDocument {
    return this.#jwks
  }

  /** Serialized once per key change; the JWKS route sends these bytes. */
  get jwksJson(): string {
    return this.#jwksJson
  }

  /**
   * Reload when another writer (the CLI, another admin call) changed the ring since the last load;
   * single-flight. Returns true when it reloaded. Throws what reload() throws (the old ring stays).
   */
  async refreshIfChanged(): Promise<boolean> {
    if (this.#refreshing !== null) {
      await this.#refreshing
      return false
    }
    const version = await this.#o.store.signingKeysVersion()
    if (version === this.#version) return false
    this.#refreshing = this.#reloadAndKeepSigning()
    try {
      await this.#refreshing
    } finally {
      this.#refreshing = null
    }
    return true
  }

  async #reloadAndKeepSigning(): Promise<void> {
    await this.reload()
    // The CLI revoked the key this Vault signs with: replace it, as revoke() does here (a rotation
    // racing it is refused by the store's guard and the next poll reloads what won).
    if (this.#signer === null && this.#o.createIfMissing === true) {
      try {
        await this.#create(this.#activeKids())
      } catch (err) {
        // Still unable to sign: make the next poll try again even if the ring does not change.
        this.#version = ''
        throw err
      }
    }
  }

  /** Re-read metadata and key files (after CLI or admin changes). */
  async reload(): Promise<void> {
    // Read before the records: a change between the two reads is seen again at the next poll.
    const version = await this.#o.store.signingKeysVersion()
    const records = await this.#o.store.listSigningKeys()
    const verify = new Map<string, KeyObject>()
    const keys: PublicJwk[] = []
    let signer: Signer | null = null
    let signerFrom = -Infinity
    const nowMs = this.#o.clock.now()
    for (const r of records) {
      if (r.revokedAtMs !== null) continue
      const x = Buffer.from(r.publicX, 'base64url')
      const problem = checkEd25519PublicKey(x)
      if (problem !== null) throw new Error(`signing key ${r.kid}: public key refused (${problem}); revoke it with "ledgix-gateway keys revoke"`)
      verify.set(r.kid, createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: r.publicX }, format: 'jwk' }))
      keys.push({ kty: 'OKP', crv: 'Ed25519', x: r.publicX, kid: r.kid, use: 'sig', alg: 'EdDSA' })
      if (r.retiredAtMs === null && r.activeFromMs <= nowMs && r.activeFromMs >= signerFrom) {
        const privateKey = await this.#loadPrivate(r)
        if (privateKey !== null) {
          signer = { kid: r.kid, privateKey }
          signerFrom = r.activeFromMs
        }
      }
    }
    // An environment key, when configured and not retired, is the signing key.
    const env = this.#envPrivate
    if (env !== null && records.some((r) => r.kid === env.kid && r.retiredAtMs === null && r.revokedAtMs === null)) {
      signer = { kid: env.kid, privateKey: env.key }
    }
    this.#version = version
    this.#records = records
    this.#verify = verify
    this.#signer = signer
    this.#jwks = { keys }
    this.#jwksJson = JSON.stringify(this.#jwks)
  }

  /** Creates a key file and record; it signs from now on. Refuses when a key is already active. */
  async generate(): Promise<SigningKeyRecord> {
    if (this.#signer !== null) throw new Error(`signing key ${this.#signer.kid} is active: use "keys rotate" to replace it`)
    return this.#create(this.#activeKids())
  }

  /**
   * New active key; every previous signing key is retired (still published, never signs again) —
   * a configured `vault_server.signing_key` too: otherwise it would go on signing and the rotation
   * would be a no-op. The retirement is durable, so the configured key does not sign again after a
   * restart either; configure a new kid to pin a key again. One guarded store op: a rotation that
   * raced another one (this process or the CLI) throws LedgixError('key_ring_changed') and writes nothing.
   */
  async rotate(): Promise<SigningKeyRecord> {
    return this.#create(this.#activeKids())
  }

  #activeKids(): string[] {
    return this.#records.filter((r) => r.retiredAtMs === null && r.revokedAtMs === null).map((r) => r.kid)
  }

  /** Compromise: the key leaves the JWKS and verification at once. Returns false for an unknown kid. */
  async revoke(kid: string): Promise<boolean> {
    const r = this.#records.find((k) => k.kid === kid)
    if (r === undefined) return false
    const nowMs = this.#o.clock.now()
    const wasSigner = this.#signer?.kid === kid
    await this.#o.store.write([{ op: 'signing_key_upsert', key: { ...r, revokedAtMs: r.revokedAtMs ?? nowMs, retiredAtMs: r.retiredAtMs ?? nowMs } }])
    await this.reload()
    // Never leave the Vault unable to approve: a revoked signing key is replaced at once.
    if (wasSigner && this.#signer === null && this.#o.createIfMissing === true) await this.#create(this.#activeKids())
    return true
  }

  /** Writes a key file, then retires `expectActive` and records the new key in one guarded op. */
  async #create(expectActive: readonly string[]): Promise<SigningKeyRecord> {
    const nowMs = this.#o.clock.now()
    const { publicKey, privateKey } = await generateKeyPair('ed25519')
    const kid = newKid(nowMs)
    const record: SigningKeyRecord = { kid, publicX: publicX(publicKey), activeFromMs: nowMs, retiredAtMs: null, revokedAtMs: null, source: 'file' }
    const inStore = this.#o.keysInStore
    if (inStore !== undefined) {
      // The private key travels with its rotation, in the same transaction: no replica ever sees the
      // key active without being able to read it.
      const secret = sealSigningKey(kid, privateKey, inStore.wrapKey)
      const result = await this.#o.store.write([{ op: 'signing_key_rotate', expectActive, key: record, atMs: nowMs, secret }])
      if (!result.ok) {
        await this.reload()
        throw new LedgixError('key_ring_changed', 'the signing key ring changed while rotating (another rotation or revocation won); list the keys and retry if still needed')
      }
      await this.reload()
      return record
    }
    await mkdir(this.#o.keysDir, { recursive: true, mode: 0o700 })
    const file = join(this.#o.keysDir, `${kid}.pem`)
    // wx: never overwrite a key file; 0600: the private key is readable by the owner only.
    const fh = await open(file, 'wx', 0o600)
    try {
      await fh.writeFile(privateKey.export({ format: 'pem', type: 'pkcs8' }))
      await fh.sync()
    } finally {
      await fh.close()
    }
    const result = await this.#o.store.write([{ op: 'signing_key_rotate', expectActive, key: record, atMs: nowMs }])
    if (!result.ok) {
      // The key never became part of the ring: its file must not linger as an unrecorded secret.
      await unlink(file).catch(() => undefined)
      await this.reload()
      throw new LedgixError('key_ring_changed', 'the signing key ring changed while rotating (another rotation or revocation won); list the keys and retry if still needed')
    }
    await this.reload()
    return record
  }

  async #adoptEnvKey(env: EnvSigningKey): Promise<void> {
    let privateKey: KeyObject
    try {
      privateKey = createPrivateKey({ key: env.pem, format: 'pem' })
    } catch {
      throw new Error('the environment signing key is not a PKCS#8 PEM private key: generate one with "ledgix-gateway keys generate"')
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('the environment signing key must be Ed25519')
    const x = publicX(createPublicKey(privateKey))
    const existing = (await this.#o.store.listSigningKeys()).find((r) => r.kid === env.kid)
    if (existing !== undefined && existing.publicX !== x) {
      throw new Error(`kid ${env.kid} already names a different key: choose a new kid for the environment key`)
    }
    if (existing === undefined) {
      const record: SigningKeyRecord = { kid: env.kid, publicX: x, activeFromMs: this.#o.clock.now(), retiredAtMs: null, revokedAtMs: null, source: 'env' }
      await this.#o.store.write([{ op: 'signing_key_upsert', key: record }])
    }
    this.#envPrivate = { kid: env.kid, key: privateKey }
  }

  #envPrivate: { kid: string; key: KeyObject } | null = null

  /** A key another replica (or `keys rotate` against the shared store) created: its sealed secret. */
  async #loadFromStore(r: SigningKeyRecord): Promise<KeyObject | null> {
    const sealed = await this.#o.store.getSigningKeySecret(r.kid)
    if (sealed === null) return null
    const key = openSigningKey(r.kid, sealed, this.#o.keysInStore?.wrapKey ?? null)
    // Never rotate around a key we cannot open (every replica would replace the others' keys in turn):
    // the misconfiguration stops the load, and the old ring stays until it is fixed.
    if (key instanceof Error) throw key
    if (publicX(createPublicKey(key)) !== r.publicX) throw new Error(`the stored secret of signing key ${r.kid} does not match its recorded public key`)
    return key
  }

  async #loadPrivate(r: SigningKeyRecord): Promise<KeyObject | null> {
    if (r.source === 'env') return this.#envPrivate?.kid === r.kid ? this.#envPrivate.key : null
    let pem: string
    try {
      pem = await readFile(join(this.#o.keysDir, `${r.kid}.pem`), 'utf8')
    } catch {
      return this.#loadFromStore(r)
    }
    const key = createPrivateKey({ key: pem, format: 'pem' })
    if (publicX(createPublicKey(key)) !== r.publicX) throw new Error(`key file ${r.kid}.pem does not match its recorded public key`)
    return key
  }
}
