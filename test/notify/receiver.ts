// A real HTTP receiver on loopback for notification tests: records every request (time, headers, raw
// body), answers from a script (200, 429, 500, hang until the client gives up) and verifies webhook
// signatures with its own HMAC code, independent of the project's signer.
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import type { IncomingHttpHeaders, Server, ServerResponse } from 'node:http'

export type Behaviour = 200 | 429 | 500 | 'hang'

export interface Received {
  atMs: number
  path: string
  headers: IncomingHttpHeaders
  body: string
  json: any
}

export interface Receiver {
  url: string
  received: Received[]
  /** Answers for the next requests, in order; afterwards `fallback`. */
  script: Behaviour[]
  fallback: Behaviour
  /** Resolves once at least `n` requests arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>
  close(): Promise<void>
}

/** The receiver side of spec §8, written from the spec: sha256=<hex> (any case) or bare hex. */
export function verifyLedgixSignature(body: string, header: string | undefined, secret: string): boolean {
  if (header === undefined) return false
  const hex = header.startsWith('sha256=') ? header.slice(7) : header
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return false
  const expected = createHmac('sha256', Buffer.from(secret, 'utf8')).update(Buffer.from(body, 'utf8')).digest()
  return timingSafeEqual(expected, Buffer.from(hex.toLowerCase(), 'hex'))
}

export async function startReceiver(t: { after(fn: () => unknown): void }): Promise<Receiver> {
  const hanging = new Set<ServerResponse>()
  const waiters: Array<{ n: number; resolve: () => void }> = []
  const r: Receiver = {
    url: '',
    received: [],
    script: [],
    fallback: 200,
    waitFor(n, timeoutMs = 10_000) {
      if (r.received.length >= n) return Promise.resolve(r.received)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`receiver: waited for ${n} requests, got ${r.received.length}`)), timeoutMs)
        waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(r.received) } })
      })
    },
    close: async () => {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      let json: unknown = null
      try {
        json = JSON.parse(body)
      } catch {
        json = null
      }
      r.received.push({ atMs: Date.now(), path: req.url ?? '', headers: req.headers, body, json })
      for (const w of [...waiters]) if (r.received.length >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
      const behaviour = r.script.length > 0 ? r.script.shift()! : r.fallback
      if (behaviour === 'hang') {
        hanging.add(res)
        return
      }
      if (behaviour === 429) res.setHeader('retry-after', '0')
      res.statusCode = behaviour
      res.end(behaviour === 200 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  r.url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  t.after(() => r.close())
  return r
}
