// Natural-language rules through the configured judge, driven by a loopback fake of the
// OpenAI-compatible chat-completions API: approve, deny, low confidence, garbage output, timeout.
// Only approve produces a token; every failure is pending_review, never an approval.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { call, startHarness } from './helpers.ts'

type Behaviour = { kind: 'json'; content: string } | { kind: 'hang' } | { kind: 'status'; status: number }

async function fakeOpenAi(t: { after(fn: () => unknown): void }): Promise<{ url: string; set(b: Behaviour): void; hits: () => number; lastBody: () => any }> {
  let behaviour: Behaviour = { kind: 'status', status: 500 }
  let hits = 0
  let lastBody: unknown = null
  const pending = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      hits++
      lastBody = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      if (req.url !== '/v1/chat/completions') return void res.writeHead(404).end()
      if (behaviour.kind === 'hang') return void pending.add(res)
      if (behaviour.kind === 'status') return void res.writeHead(behaviour.status).end('{}')
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ id: 'cmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: behaviour.content } }] }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => {
    for (const res of pending) res.destroy()
    server.closeAllConnections()
    return new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    set: (b) => (behaviour = b),
    hits: () => hits,
    lastBody: () => lastBody,
  }
}

const NL_POLICY = { policy_id: 'payments-nl', description: 'NL', rules: ['Payments must be tied to a valid order event.'], tools: ['create_stripe_payment'] }
const REQ = { tool_name: 'create_stripe_payment', tool_args: { amount: 249.99, order_event_id: 'ord_evt_2048' }, agent_id: 'payments-agent', context: { policy_id: 'payments-nl' } }

const verdict = (v: string, confidence: number): Behaviour => ({
  kind: 'json',
  content: JSON.stringify({ verdict: v, confidence, cited_rules: ['payments-nl/nl-0'], reason: `judge says ${v}` }),
})

test('judge paths: approve, deny, low confidence, garbage, HTTP error and timeout', async (t) => {
  const fake = await fakeOpenAi(t)
  const h = await startHarness(t, { config: { judge: { url: fake.url, model: 'fake-model', apiKey: 'sk-fake', timeoutMs: 300 } } })
  assert.equal((await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: NL_POLICY })).status, 200)
  const ask = async (): Promise<any> => (await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: REQ })).body

  fake.set(verdict('allow', 0.95))
  const approved = await ask()
  assert.deepEqual([approved.status, approved.decision_status, approved.confidence_bucket], ['approved', 'approved', 'extra_high'])
  assert.equal(typeof approved.token, 'string')
  assert.equal(fake.lastBody().model, 'fake-model')
  assert.match(JSON.stringify(fake.lastBody().messages), /ord_evt_2048/, 'the judge sees the exact arguments')

  fake.set(verdict('deny', 0.9))
  const denied = await ask()
  assert.deepEqual([denied.status, denied.decision_status, denied.token], ['denied', 'denied', null])

  fake.set(verdict('allow', 0.6))
  const low = await ask()
  assert.deepEqual([low.status, low.decision_status, low.token], ['pending_review', 'approved_pending_review', null])

  for (const b of [{ kind: 'json', content: 'I think it is fine!' } as Behaviour, { kind: 'status', status: 502 } as Behaviour, { kind: 'hang' } as Behaviour]) {
    fake.set(b)
    const res = await ask()
    assert.equal(res.status, 'pending_review', JSON.stringify(b))
    assert.equal(res.token, null)
  }
  assert.equal(fake.hits(), 6)
  const events = await h.server.context.store.listDecisionEvents(h.tenantA, 0, 100)
  assert.deepEqual(events.map((e) => e.decisionStatus), ['approved', 'denied'])
  assert.equal(events[0]!.classifierLabel, 'allow')
  assert.equal(events[0]!.classifierConfidenceBucket, 'extra_high')
})

test('without a judge, a request only natural-language rules cover goes to review', async (t) => {
  const h = await startHarness(t)
  await call(h.base, 'POST', '/register-policy', { key: h.keys.admin, body: NL_POLICY })
  const res = await call(h.base, 'POST', '/request-clearance', { key: h.keys.agent, body: REQ })
  assert.equal(res.body.status, 'pending_review')
})
