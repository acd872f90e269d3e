// A request whose body is left incomplete on purpose: raw socket, hand-written HTTP/1.1 head, part of
// the body now and the rest on demand. Collects whatever the server answers (status line and body).
import { connect } from 'node:net'
import type { Socket } from 'node:net'

export class HeldBody {
  readonly socket: Socket
  response = ''
  closed = false
  readonly #answered: Promise<void>
  readonly #gone: Promise<void>

  constructor(url: string, path: string, headers: Record<string, string>, firstPart: Buffer) {
    const target = new URL(url)
    this.socket = connect(Number(target.port), target.hostname)
    this.socket.setNoDelay(true)
    // Writes after the server closed a refused request (EPIPE, ECONNRESET) are expected here.
    this.socket.on('error', () => undefined)
    let head = `POST ${path} HTTP/1.1\r\nhost: ${target.host}\r\n`
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`
    this.socket.write(head + '\r\n')
    if (firstPart.length > 0) this.socket.write(firstPart)
    this.#answered = new Promise((resolve) => {
      this.socket.on('data', (chunk: Buffer) => {
        this.response += chunk.toString('latin1')
        if (this.response.includes('\r\n\r\n')) resolve()
      })
      this.socket.once('close', () => resolve())
    })
    this.#gone = new Promise((resolve) => this.socket.once('close', () => {
      this.closed = true
      resolve()
    }))
  }

  /** Status code of the answer so far (0 = nothing yet). */
  get status(): number {
    const m = /^HTTP\/1\.1 (\d{3})/.exec(this.response)
    return m === null ? 0 : Number(m[1])
  }

  header(name: string): string | undefined {
    const head = this.response.split('\r\n\r\n')[0] ?? ''
    for (const line of head.split('\r\n')) {
      const colon = line.indexOf(':')
      if (colon > 0 && line.slice(0, colon).toLowerCase() === name) return line.slice(colon + 1).trim()
    }
    return undefined
  }

  /** The `code` of a problem+json answer, once the whole body is in. */
  async code(): Promise<string | undefined> {
    await this.answered(5000)
    const deadline = Date.now() + 5000
    while (!this.closed && !this.#bodyComplete() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    const body = this.response.split('\r\n\r\n')[1] ?? ''
    try {
      return (JSON.parse(body) as { code?: string }).code
    } catch {
      return undefined
    }
  }

  #bodyComplete(): boolean {
    const length = Number(this.header('content-length') ?? NaN)
    const body = this.response.split('\r\n\r\n')[1] ?? ''
    return Number.isFinite(length) && Buffer.byteLength(body, 'latin1') >= length
  }

  /** Resolves when an answer (or a close) arrived, or after `ms`. */
  answered(ms: number): Promise<void> {
    return Promise.race([this.#answered, new Promise<void>((r) => setTimeout(r, ms))])
  }

  send(rest: Buffer): void {
    this.socket.write(rest)
  }

  destroy(): Promise<void> {
    this.socket.destroy()
    return this.#gone
  }
}
