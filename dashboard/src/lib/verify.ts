// "Verify in this browser": the project's own pure verifier (src/ledger/browser.ts) with
// @noble/ed25519 in strict mode (zip215: false) and @noble/hashes SHA-256/512. Both are synchronous
// and need no WebCrypto, which a non-secure origin lacks. Keys come only from the JWKS the page
// fetched separately (pinned); keys inside the bundle are checked against it, never trusted alone.
import * as ed from '@noble/ed25519'
import { sha256, sha512 } from '@noble/hashes/sha2.js'
import { BUNDLE_STEP_LABELS, verifyProofBundle } from '../../../src/ledger/browser.ts'
import type { BundleVerification, LedgerCrypto, StepStatus } from '../../../src/ledger/browser.ts'

ed.hashes.sha512 = sha512

export const browserLedgerCrypto: LedgerCrypto = {
  sha256: (data) => sha256(data),
  verifyEd25519(publicKey, message, signature) {
    try {
      return ed.verify(signature, message, publicKey, { zip215: false })
    } catch {
      return false
    }
  },
}

export interface ShownStep {
  readonly step: string
  readonly label: string
  readonly status: StepStatus
  readonly mark: '✓' | '✗' | '–'
  readonly message: string
}

export interface BrowserVerification {
  readonly intact: boolean
  readonly steps: readonly ShownStep[]
  /** The label of the first failed step, or null. */
  readonly failedStep: string | null
  readonly raw: BundleVerification
}

/** Verify a bundle against the pinned JWKS, step by step; never throws. */
export function verifyInBrowser(bundle: unknown, pinnedJwks: unknown): BrowserVerification {
  const raw = verifyProofBundle(bundle, browserLedgerCrypto, { pinnedJwks })
  const steps = raw.steps.map((s) => ({
    step: s.step,
    label: BUNDLE_STEP_LABELS[s.step],
    status: s.status,
    mark: s.status === 'ok' ? ('✓' as const) : s.status === 'fail' ? ('✗' as const) : ('–' as const),
    message: s.message,
  }))
  const failed = steps.find((s) => s.status === 'fail')
  return { intact: raw.intact, steps, failedStep: failed?.label ?? null, raw }
}
