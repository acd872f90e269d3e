// Retry timing: exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
// and Jitter": sleep = random(0, min(cap, base * 2^attempt))), so receivers recovering from an outage
// are not hit by every Vault's retries in lockstep. A receiver's Retry-After is honoured up to the cap.

export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number, retryAfterMs: number | null): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(30, Math.max(0, attempt - 1)))
  const jittered = Math.floor(random() * ceiling)
  return retryAfterMs === null ? jittered : Math.max(jittered, Math.min(capMs, retryAfterMs))
}
