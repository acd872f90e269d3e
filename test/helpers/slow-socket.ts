// Raw TCP clients for slow-client tests: a socket that sends what it is told (part of a header
// block, a trickled body, nothing at all) and records everything the server sent and when it closed.
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export interface SlowSocket {
  socket: Socket
  /** Everything received so far. */
  received(): string
  /** Resolves when the server has closed (or reset) the connection: ms since open and what arrived. */
  closed: Promise<{ afterMs: number; data: string }>
  isClosed(): boolean
}

/** Open a connection (optionally from another loopback address) and resolve once connected. */
export function openSocket(port: number, options: { localAddress?: string; send?: string } = {}): Promise<SlowSocket> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const socket = connect({ port, host: '127.0.0.1', ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }) })
    let data = ''
    let closed = false
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (data += chunk))
    // A reset while we still write is expected once the server gives up on us.
    socket.on('error', () => undefined)
    const closedPromise = new Promise<{ afterMs: number; data: string }>((done) => {
      socket.once('close', () => {
        closed = true
        done({ afterMs: performance.now() - started, data })
      })
    })
    socket.once('connect', () => {
      if (options.send !== undefined) socket.write(options.send)
      resolve({ socket, received: () => data, closed: closedPromise, isClosed: () => closed })
    })
    socket.once('error', reject)
  })
}

/** Open `count` sockets that each send `send` (if any), a few at a time. */
export async function openMany(port: number, count: number, send?: string): Promise<SlowSocket[]> {
  const out: SlowSocket[] = []
  for (let i = 0; i < count; i += 50) {
    const batch = await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => openSocket(port, send === undefined ? {} : { send })))
    out.push(...batch)
  }
  return out
}

/** Whether the server closes `s` within `ms` (false: still open at the deadline). */
export async function closesWithin(s: SlowSocket, ms: number): Promise<boolean> {
  return Promise.race([s.closed.then(() => true), sleep(ms).then(() => false)])
}

/** Write `body` one byte every `everyMs` until done or the server closes the socket. */
export async function trickle(s: SlowSocket, body: string, everyMs: number): Promise<void> {
  for (const ch of body) {
    if (s.isClosed() || s.socket.destroyed) return
    s.socket.write(ch)
    await sleep(everyMs)
  }
}

/** The JSON body of the first HTTP response in `raw` (a response we wrote with content-length). */
export function responseJson(raw: string): Record<string, unknown> {
  const at = raw.indexOf('\r\n\r\n')
  if (at === -1) return {}
  try {
    return JSON.parse(raw.slice(at + 4)) as Record<string, unknown>
  } catch {
    return {}
  }
}

export function destroyAll(sockets: readonly SlowSocket[]): void {
  for (const s of sockets) s.socket.destroy()
}
