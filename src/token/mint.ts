// Minting an A-JWT (spec §5.2), used by the Vault. The header bytes are fixed so tokens look exactly
// like the real Vault's golden fixture; claims are serialised in the caller's key order.
import { sign } from 'node:crypto'
import type { KeyObject } from 'node:crypto'

/** Header exactly {"alg":"EdDSA","kid":<kid>,"typ":"JWT"}; Ed25519 over "<header>.<payload>". */
export function mintToken(claims: Readonly<Record<string, unknown>>, signer: { kid: string; privateKey: KeyObject }): string {
  if (typeof signer.kid !== 'string' || signer.kid.length === 0) throw new TypeError('mintToken: kid must be a non-empty string')
  if (signer.privateKey.asymmetricKeyType !== 'ed25519' || signer.privateKey.type !== 'private') {
    throw new TypeError('mintToken: privateKey must be an Ed25519 private KeyObject')
  }
  const header = '{"alg":"EdDSA","kid":' + JSON.stringify(signer.kid) + ',"typ":"JWT"}'
  const signingInput =
    Buffer.from(header, 'utf8').toString('base64url') + '.' + Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url')
  const signature = sign(null, Buffer.from(signingInput, 'latin1'), signer.privateKey)
  return signingInput + '.' + signature.toString('base64url')
}
