// `ledgix-gateway demo-upstream`: a tiny echo service to put behind the gateway in the quickstart.
// It answers every request with the method, path, headers and body it received, so a curl through
// the gateway shows exactly which X-Ledgix-* headers were injected and which were stripped.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Command } from 'commander'

/** Bodies above this are summarised (length only) rather than echoed. */
const ECHO_BODY_LIMIT_BYTES = 64 * 1024

export interface EchoReply {
  service: 'ledgix-demo-upstream'
  method: string
  path: string
  headers: Record<string, string | string[] | undefined>
  body: unknown
  body_bytes: number
}

function handleEcho(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size <= ECHO_BODY_LIMIT_BYTES) chunks.push(chunk)
  })
  req.on('end', () => {
    const text = size <= ECHO_BODY_LIMIT_BYTES ? Buffer.concat(chunks).toString('utf8') : ''
    let body: unknown = text
    if (text.length > 0 && /json/i.test(req.headers['content-type'] ?? '')) {
      try {
        body = JSON.parse(text)
      } catch {
        body = text
      }
    }
    const reply: EchoReply = {
      service: 'ledgix-demo-upstream',
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: size <= ECHO_BODY_LIMIT_BYTES ? body : `(${size} bytes, not echoed)`,
      body_bytes: size,
    }
    const payload = JSON.stringify(reply, null, 2) + '\n'
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) })
    res.end(payload)
  })
}

export function startDemoUpstream(host: string, port: number): Promise<Server> {
  const server = createServer(handleEcho)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve(server))
  })
}

export function registerDemoUpstreamCommand(program: Command): void {
  program
    .command('demo-upstream')
    .description('run a small echo service to protect with the gateway (quickstart and tests)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on (0 = any free port)', '4000')
    .addHelpText(
      'after',
      `
Examples:
  $ ledgix-gateway demo-upstream                 echo service on 127.0.0.1:4000
  $ ledgix-gateway demo-upstream --port 0        any free port; the bound address is printed`,
    )
    .action(async (opts: { host: string; port: string }) => {
      const port = Number(opts.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        program.error(`demo-upstream: --port must be an integer from 0 to 65535, got "${opts.port}"`)
      }
      const server = await startDemoUpstream(opts.host, port)
      const address = server.address()
      const bound = typeof address === 'object' && address !== null ? address.port : port
      process.stdout.write(`demo-upstream listening on http://${opts.host}:${bound}\n`)
      const stop = (): void => {
        server.close(() => process.exit(0))
        server.closeAllConnections()
      }
      process.once('SIGTERM', stop)
      process.once('SIGINT', stop)
    })
}
