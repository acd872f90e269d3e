// A stand-in OpenAI-compatible chat-completions server on 127.0.0.1:0 (the LLM is a party we do not
// ship). Each test scripts the reply and reads back what the judge sent.
import { createServer } from 'node:http'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { TestContext } from 'node:test'

export interface RecordedRequest {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: Record<string, unknown>
}

/** What to do with one request: answer with a status and body, or never answer ('hang'). */
export type Reply = { status: number; body: string } | 'hang'

export interface FakeOpenAi {
  /** Base URL to hand to createOpenAiJudge (`…/v1`). */
  url: string
  requests: RecordedRequest[]
  reply: (req: RecordedRequest) => Reply
  /** Resolves when the client side of a hung request goes away (closed socket). */
  closedWhileHanging: number
}

/** A chat-completions body whose choices[0].message.content is `content`. */
export function completion(content: string): string {
  return JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  })
}

export function verdictReply(verdict: Record<string, unknown>): Reply {
  return { status: 200, body: completion(JSON.stringify(verdict)) }
}

export async function startFakeOpenAi(t: TestContext): Promise<FakeOpenAi> {
  const fake: FakeOpenAi = {
    url: '',
    requests: [],
    reply: () => ({ status: 500, body: '{"error":"no reply scripted"}' }),
    closedWhileHanging: 0,
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      }
      fake.requests.push(recorded)
      const reply = fake.reply(recorded)
      if (reply === 'hang') {
        res.on('close', () => {
          fake.closedWhileHanging++
        })
        return
      }
      res.writeHead(reply.status, { 'content-type': 'application/json' })
      res.end(reply.body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
  return fake
}
