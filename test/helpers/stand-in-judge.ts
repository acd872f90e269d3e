// A loopback stand-in for the OpenAI-compatible judge the Vault calls for natural-language rules: it
// answers each call with the verdict set by next(), and can hold answers (a decision slower than
// decision_timeout). Shared by the client-contract tests.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A loopback stand-in for the OpenAI-compatible judge: answers each call with the next verdict. */
export interface StandInJudge {
  url: string
  next(verdict: string, confidence: number): void
  /** Answer with this raw message content (e.g. not a verdict at all). */
  reply(content: string): void
  /** Hold answers until release() (a decision slower than decision_timeout). */
  hold(): void
  release(): void
}

export async function standInJudge(t: { after(fn: () => unknown): void }): Promise<StandInJudge> {
  let content = ''
  let held: Array<() => void> | null = null
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const answer = (): void => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content } }] }))
      }
      if (held === null) answer()
      else held.push(answer)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    next: (verdict, confidence) => (content = JSON.stringify({ verdict, confidence, cited_rules: ['payments-nl/nl-0'], reason: `judge: ${verdict}` })),
    reply: (raw) => (content = raw),
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? []
      held = null
      for (const answer of waiting) answer()
    },
  }
}

