// Stand-in for a remote Vault, only where the real one cannot produce the condition — a JWKS outage
// beyond max_stale, 5xx or slow burns, counting calls — and for gateway-internal tests where the Vault
// plays no part. The core gateway suite runs against the real Vault in both modes (mode-stack.ts).
// Original notes: serves the JWKS with
// Cache-Control and /consume-token with a real burned-jti set, counts calls, and can be made slow,
// down or failing, or rotate keys mid-run.
import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { payloadOf } from './tokens.ts'
import type { TestSigner } from './tokens.ts'

export type StubMode = 'ok' | 'down' | 'error500' | 'slow'

export class VaultStub {
  readonly server: Server
  readonly burned = new Set<string>()
  readonly lockedAgents = new Set<string>()
  signers: TestSigner[]
  consumeMode: StubMode = 'ok'
  jwksMode: StubMode = 'ok'
  slowMs = 2000
  maxAgeSeconds: number | null = 300
  consumeCalls = 0
  jwksCalls = 0
  /** API keys seen on the JWKS endpoint (the gateway should send none: the document is public). */
  readonly jwksApiKeys: (string | undefined)[] = []
  /** API keys seen on /consume-token. */
  readonly apiKeys: (string | undefined)[] = []
  readonly #sockets = new Set<Socket>()
  url = ''

  constructor(signers: TestSigner[]) {
    this.signers = signers
    this.server = createServer((req, res) => this.#handle(req, res))
    this.server.on('connection', (s: Socket) => {
      this.#sockets.add(s)
      s.once('close', () => this.#sockets.delete(s))
    })
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.url === '/.well-known/jwks.json') {
        this.jwksCalls++
        this.jwksApiKeys.push(req.headers['x-vault-api-key'] as string | undefined)
        this.#answer(this.jwksMode, res, () => {
          const headers: Record<string, string> = { 'content-type': 'application/json' }
          if (this.maxAgeSeconds !== null) headers['cache-control'] = `public, max-age=${this.maxAgeSeconds}`
          res.writeHead(200, headers).end(JSON.stringify({ keys: this.signers.map((s) => s.jwk) }))
        })
        return
      }
      if (req.url === '/consume-token' && req.method === 'POST') {
        this.consumeCalls++
        this.apiKeys.push(req.headers['x-vault-api-key'] as string | undefined)
        this.#answer(this.consumeMode, res, () => this.#consume(Buffer.concat(chunks).toString('utf8'), res))
        return
      }
      res.writeHead(404).end()
    })
  }

  #answer(mode: StubMode, res: ServerResponse, ok: () => void): void {
    if (mode === 'down') {
      res.socket?.destroy()
      return
    }
    if (mode === 'error500') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}')
      return
    }
    if (mode === 'slow') {
      setTimeout(ok, this.slowMs).unref()
      return
    }
    ok()
  }

  #consume(text: string, res: ServerResponse): void {
    const token = (JSON.parse(text) as { token: string }).token
    const claims = payloadOf(token)
    const jti = String(claims['jti'])
    const agent = String(claims['agent_id'])
    if (this.lockedAgents.has(agent)) {
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'agent_locked', code: 'agent_locked' }))
      return
    }
    if (this.burned.has(jti)) {
      res.writeHead(409, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'token_replayed' }))
      return
    }
    this.burned.add(jti)
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({ valid: true, jti, tool_name: claims['tool'], agent_id: agent, policy_id: claims['policy_id'], session_id: claims['session_id'] }),
    )
  }
}
