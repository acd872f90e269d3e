// A small Server-Sent Events client for tests, written from the WHATWG "server-sent events" parsing
// rules (not the project's code): a real HTTP request whose body is read as it arrives and parsed
// into events (id, event, data) and comments, with waits on what has arrived.
import { request } from 'node:http'
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http'

export interface SseEvent {
  id: string | null
  event: string
  data: string
}

export interface SseStream {
  status: number
  headers: IncomingHttpHeaders
  /** The body when the answer is not a stream (problem+json). */
  text: string
  events: SseEvent[]
  comments: string[]
  retry: number | null
  ended: boolean
  /** Resolves once `pred` holds for the events received (rejects after `timeoutMs`). */
  waitFor(pred: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>
  waitForComment(text: string, timeoutMs?: number): Promise<void>
  waitForEnd(timeoutMs?: number): Promise<void>
  close(): void
}

export async function openStream(base: string, path: string, key: string | null, headers: Record<string, string> = {}, method = 'GET'): Promise<SseStream> {
  const url = new URL(base)
  const all: Record<string, string> = { accept: 'text/event-stream', ...headers }
  if (key !== null) all['x-vault-api-key'] = key
  let req: ClientRequest
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req = request({ host: url.hostname, port: url.port, path, method, headers: all }, resolve)
    req.on('error', reject)
    req.end()
  })
  const listeners = new Set<() => void>()
  const s: SseStream = {
    status: res.statusCode ?? 0,
    headers: res.headers,
    text: '',
    events: [],
    comments: [],
    retry: null,
    ended: false,
    waitFor(pred, timeoutMs = 10_000) {
      return until(() => pred(s.events), () => `events so far: ${JSON.stringify(s.events)}`, timeoutMs).then(() => s.events)
    },
    waitForComment(text, timeoutMs = 10_000) {
      return until(() => s.comments.includes(text), () => `comments so far: ${JSON.stringify(s.comments)}`, timeoutMs)
    },
    waitForEnd(timeoutMs = 10_000) {
      return until(() => s.ended, () => 'the stream did not end', timeoutMs)
    },
    close() {
      req.destroy()
      res.destroy()
    },
  }
  function until(done: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
    if (done()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!done()) return
        clearTimeout(timer)
        listeners.delete(check)
        resolve()
      }
      const timer = setTimeout(() => {
        listeners.delete(check)
        reject(new Error(`timed out after ${timeoutMs} ms; ${what()}`))
      }, timeoutMs)
      listeners.add(check)
    })
  }
  const streaming = (res.headers['content-type'] ?? '').startsWith('text/event-stream')
  let buffer = ''
  let pending: SseEvent = { id: null, event: 'message', data: '' }
  let hasData = false
  res.setEncoding('utf8')
  res.on('data', (chunk: string) => {
    if (!streaming) {
      s.text += chunk
      return
    }
    buffer += chunk
    let nl: number
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '')
      buffer = buffer.slice(nl + 1)
      if (line === '') {
        if (hasData || pending.event !== 'message') s.events.push(pending)
        pending = { id: null, event: 'message', data: '' }
        hasData = false
        continue
      }
      if (line.startsWith(':')) {
        s.comments.push(line.slice(1).trim())
        continue
      }
      const colon = line.indexOf(':')
      const field = colon < 0 ? line : line.slice(0, colon)
      let value = colon < 0 ? '' : line.slice(colon + 1)
      if (value.startsWith(' ')) value = value.slice(1)
      if (field === 'id') pending.id = value
      else if (field === 'event') pending.event = value
      else if (field === 'data') {
        pending.data = hasData ? `${pending.data}\n${value}` : value
        hasData = true
      } else if (field === 'retry' && /^\d+$/.test(value)) s.retry = Number(value)
    }
    for (const l of [...listeners]) l()
  })
  const ended = (): void => {
    s.ended = true
    for (const l of [...listeners]) l()
  }
  res.on('end', ended)
  res.on('close', ended)
  res.on('error', ended)
  if (!streaming) await new Promise<void>((resolve) => (s.ended ? resolve() : res.once('close', () => resolve())))
  return s
}
