// Password hashing for dashboard users: node:crypto scrypt (no native addon, so the single-file
// bundle keeps working), PHC strings that carry their parameters (a login with old ones rehashes),
// a small bound on concurrent hashes (each takes 64 MiB and ~0.4 s of a core), and the password policy.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { isCommonPassword } from './common-passwords.ts'

export interface ScryptParams {
  /** log2 of N. */
  ln: number
  r: number
  p: number
}

/**
 * N=2^16, r=8, p=2: 64 MiB, ≈0.44 s on the 2-core reference machine, as strong as OWASP's
 * 2^17/8/1 at half the memory (shared/design/dashboard.md §3.3, tobtu's equal-strength table).
 */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = Object.freeze({ ln: 16, r: 8, p: 2 })
/** Two hashes at once: one per core of the reference machine; more would only queue on the libuv pool. */
export const DEFAULT_MAX_CONCURRENT_HASHES = 2
const SALT_BYTES = 16
const HASH_BYTES = 32
/** OWASP: at least 12 characters for a human-chosen password without composition rules. */
export const MIN_PASSWORD_LENGTH = 12
/** Bounds the KDF's input (scrypt reads all of it). */
export const MAX_PASSWORD_LENGTH = 1024

/** scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) refuses N=2^16,r=8, so it is set with room. */
function maxmemOf(params: ScryptParams): number {
  return 2 * 128 * 2 ** params.ln * params.r + 1024 * 1024
}

function derive(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, HASH_BYTES, { N: 2 ** params.ln, r: params.r, p: params.p, maxmem: maxmemOf(params) }, (err, key) =>
      err === null ? resolve(key) : reject(err),
    )
  })
}

const b64 = (b: Buffer): string => b.toString('base64').replace(/=+$/, '')

/** `$scrypt$ln=16,r=8,p=2$<salt b64>$<hash b64>` (PHC string format, unpadded standard base64). */
export async function hashPassword(password: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, params)
  return `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`
}

interface ParsedHash {
  params: ScryptParams
  salt: Buffer
  hash: Buffer
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{4,64})\$([A-Za-z0-9+/]{16,128})$/

export function parsePasswordHash(text: string): ParsedHash | null {
  const m = PHC.exec(text)
  if (m === null) return null
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  if (params.ln < 1 || params.ln > 22 || params.r < 1 || params.p < 1 || params.p > 16) return null
  return { params, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') }
}

export interface VerifyResult {
  ok: boolean
  /** The stored hash uses other parameters than `current`: store a new hash after a successful login. */
  needsRehash: boolean
}

/** Constant-time comparison; an unparseable stored hash never matches. */
export async function verifyPassword(password: string, stored: string, current: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<VerifyResult> {
  const parsed = parsePasswordHash(stored)
  if (parsed === null) return { ok: false, needsRehash: false }
  const hash = await derive(password, parsed.salt, parsed.params)
  const ok = hash.length === parsed.hash.length && timingSafeEqual(hash, parsed.hash)
  const p = parsed.params
  return { ok, needsRehash: ok && (p.ln !== current.ln || p.r !== current.r || p.p !== current.p) }
}

/** Why a new password is refused, or null when it is acceptable. No composition rules (NIST 800-63B). */
export function passwordProblem(password: string, email: string): string | null {
  const length = [...password].length
  if (length < MIN_PASSWORD_LENGTH) return `use at least ${MIN_PASSWORD_LENGTH} characters (a few unrelated words work well)`
  if (password.length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`
  if (isCommonPassword(password)) return 'this password is on the list of commonly used passwords; choose another'
  if (password.toLowerCase() === email.toLowerCase() || password.toLowerCase() === email.split('@')[0]?.toLowerCase()) {
    return 'the password must not be the email address'
  }
  return null
}

/**
 * At most `max` hashes in flight; a caller beyond that is refused at once (503 overloaded + Retry-After)
 * rather than queued: a queue of 64 MiB jobs is how a login flood exhausts memory.
 */
export class HashLimiter {
  readonly max: number
  #inFlight = 0
  constructor(max: number) {
    this.max = max
  }
  get inFlight(): number {
    return this.#inFlight
  }
  /** Runs `fn` in a slot, or returns null without running it when every slot is taken. */
  async run<T>(fn: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.#inFlight >= this.max) return null
    this.#inFlight++
    try {
      return { value: await fn() }
    } finally {
      this.#inFlight--
    }
  }
}
