// Reading a gateway's or Vault's admin /metrics (Prometheus text format) from the harness: the
// soak's V8 memory, the key-rotation rows' JWKS refresh counters, the gated rows' store write path.

/** The admin listener's /metrics page. */
export async function scrapeMetrics(adminUrl: string, timeoutMs: number): Promise<string> {
  const res = await fetch(`${adminUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
  return res.text()
}

/**
 * The value of the first sample of `name` that carries every label given (`{}`: any or none);
 * null when there is none.
 */
export function sampleValue(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const next = line.charAt(name.length)
    if (next !== ' ' && next !== '{') continue
    if (!wanted.every((pair) => line.includes(pair))) continue
    return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return null
}
