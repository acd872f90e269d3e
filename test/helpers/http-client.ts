// Small request helper for gateway tests: one undici request, the body parsed as JSON when possible.
import { request } from 'undici'
import type { IncomingHttpHeaders } from 'node:http'

export interface Reply {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json: Record<string, unknown>
}

export async function send(
  url: string,
  options: { method?: string; headers?: Record<string, string | string[]> | string[]; body?: string | Buffer | null } = {},
): Promise<Reply> {
  const res = await request(url, {
    method: (options.method ?? 'GET') as 'GET',
    headers: options.headers ?? {},
    body: options.body ?? null,
  })
  const text = await res.body.text()
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    // not JSON: leave {}
  }
  return { status: res.statusCode, headers: res.headers, text, json }
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

/**
 * Raw HTTP/1.1 over a socket, for requests undici refuses to send (custom Connection tokens,
 * keep-alive, hand-written upgrades). Reads until the server closes; decodes a chunked body (ASCII bodies only).
 */
export async function rawRequest(url: string, head: string, body = ''): Promise<Reply> {
  const { connect } = await import('node:net')
  const target = new URL(url)
  return new Promise<Reply>((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const split = text.indexOf('\r\n\r\n')
      const lines = text.slice(0, split).split('\r\n')
      const status = Number(lines[0]?.split(' ')[1])
      const headers: Record<string, string> = {}
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      const rest = text.slice(split + 4)
      const bodyText = headers['transfer-encoding'] === 'chunked' ? dechunk(rest) : rest
      let json: Record<string, unknown> = {}
      try {
        json = JSON.parse(bodyText) as Record<string, unknown>
      } catch {
        // not JSON
      }
      resolve({ status, headers, text: bodyText, json })
    })
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n' + body)
  })
}

function dechunk(text: string): string {
  let out = ''
  let at = 0
  for (;;) {
    const eol = text.indexOf('\r\n', at)
    if (eol === -1) return out
    const size = parseInt(text.slice(at, eol), 16)
    if (!(size > 0)) return out
    out += text.slice(eol + 2, eol + 2 + size)
    at = eol + 2 + size + 2
  }
}
