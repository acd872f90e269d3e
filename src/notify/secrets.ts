// Channel secrets at rest (webhook URLs, HMAC secrets, the Slack signing secret): AES-256-GCM under a
// key derived (HKDF-SHA256) from `ledger.encryption_key`, so the settings row never holds them in
// plaintext when that key is set. Stored as `enc:v1:<base64url(iv | ciphertext | tag)>`.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto'

const PREFIX = 'enc:v1:'
const IV_BYTES = 12
const TAG_BYTES = 16

export class SecretBox {
  #key: Buffer | null

  /** `rootKey` null: secrets are stored as given (no encryption key configured). */
  constructor(rootKey: Uint8Array | null) {
    this.#key = rootKey === null ? null : Buffer.from(hkdfSync('sha256', rootKey, Buffer.alloc(0), 'ledgix notification secrets v1', 32))
  }

  get encrypts(): boolean {
    return this.#key !== null
  }

  seal(plain: string): string {
    if (this.#key === null || plain === '') return plain
    const iv = randomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')
  }

  /** Plain text of a stored value; a sealed value without (or under another) key throws. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored
    if (this.#key === null) throw new Error('a notification secret is encrypted but no ledger.encryption_key is configured')
    const raw = Buffer.from(stored.slice(PREFIX.length), 'base64url')
    const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES))
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES))
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')
  }
}

/** What a GET shows of a secret: never the value, only enough to recognise it. */
export function maskSecret(plain: string): string {
  if (plain === '') return ''
  return plain.length <= 12 ? '********' : `********${plain.slice(-4)}`
}

/** A URL's origin stays readable (which host it goes to); path and query hold the secret part. */
export function maskUrl(plain: string): string {
  if (plain === '') return ''
  try {
    const url = new URL(plain)
    return `${url.origin}/${maskSecret(url.pathname + url.search)}`
  } catch {
    return maskSecret(plain)
  }
}
