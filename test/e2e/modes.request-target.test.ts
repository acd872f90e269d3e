// Issue 16 classes 3 and 4 through real `serve` processes, paired with a real vault-only process and
// all-in-one, with an upstream on a raw socket that records the exact header lines it receives:
// spoofed gateway headers in any spelling, routing overrides, case/format readings of a protected
// prefix, compatibility escapes, numeric hosts, Host-less HTTP/1.1 and CONNECT.
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { describeModes } from '../helpers/mode-stack.ts'
import { RawUpstream } from '../helpers/raw-upstream.ts'
import { mint } from '../helpers/tokens.ts'

const raw = await new RawUpstream().start()
after(() => raw.close())

const ROUTES = `  - name: admin
    match: { path_prefix: /admin }
    upstream: ${raw.url}
    tools: [stripe_refund]
  - name: open
    match: { path_prefix: / }
    upstream: ${raw.url}
    auth: none
`

/** One raw exchange: status and problem code of the answer. */
function ask(url: string, head: string): Promise<{ status: number; code: string | null; text: string }> {
  const target = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(target.port), target.hostname)
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => (text += chunk))
    socket.on('error', reject)
    socket.on('close', () => resolve({ status: Number(text.split(' ')[1]), code: /"code":"([a-z_]+)"/.exec(text)?.[1] ?? null, text }))
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n\r\n')
  })
}

describeModes('one reading of headers, path and host', { routes: ROUTES }, ({ stack }) => {
  test('spoofed X-Ledgix-* in any spelling, X-Original-URL and X-Real-IP never reach the upstream; ours come first', async () => {
    const s = stack()
    const host = new URL(s.gatewayUrl).host
    const token = mint(await s.signer())
    const spoofs = ['X_Ledgix_Agent_Id: evil', 'X-Ledgix.Tool: evil', 'x~ledgix~decision: evil', 'X-LEDGIX-TOKEN-ID: evil', 'X-Ledgix-Tenant-Id: evil', 'X-Original-URL: /evil', 'X-HTTP-Method-Override: DELETE', 'X-Real-IP: 6.6.6.6']
    for (const [path, auth] of [['/admin/x', [`Authorization: Bearer ${token}`]], ['/public/x', []]] as const) {
      const before = raw.requests.length
      const reply = await ask(s.gatewayUrl, [`GET ${path} HTTP/1.1`, `Host: ${host}`, ...auth, ...spoofs, 'X-Client: kept', 'Connection: close'].join('\n'))
      assert.equal(reply.status, 200, reply.text)
      assert.equal(raw.requests.length, before + 1)
      const headers = raw.last.headers
      const values = headers.map(([, v]) => v)
      for (const bad of ['evil', '/evil', 'DELETE', '6.6.6.6']) assert.ok(!values.includes(bad), `${path}: ${raw.last.rawHead}`)
      const ours = headers.filter(([n]) => n.startsWith('x-ledgix-'))
      assert.equal(ours.length, auth.length === 0 ? 1 : 7, raw.last.rawHead)
      if (auth.length > 0) assert.deepEqual(headers.find(([n]) => n === 'x-ledgix-agent-id'), ['x-ledgix-agent-id', 'agent-7'])
      assert.ok(headers.findLastIndex(([n]) => n.startsWith('x-ledgix-') || n.startsWith('x-forwarded-')) < headers.findIndex(([n]) => n === 'X-Client'))
    }
  })

  test('readings an upstream may take differently are refused before the upstream: case, format suffix, compatibility escapes, numeric hosts', async () => {
    const s = stack()
    const host = new URL(s.gatewayUrl).host
    const before = raw.requests.length
    for (const path of ['/Admin', '/ADMIN/x', '/admin.json', '/x%EF%BC%8F..%EF%BC%8Fadmin', '/%EF%BD%81dmin', '/public/..;/admin', '/public/%2e%2e/admin']) {
      const reply = await ask(s.gatewayUrl, [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Connection: close'].join('\n'))
      assert.equal(reply.status, 400, `${path}: ${reply.text}`)
      assert.equal(reply.code, 'path_not_canonical', path)
    }
    for (const value of ['127.1', '0x7f.0.0.1', '2130706433', 'api..example']) {
      const reply = await ask(s.gatewayUrl, ['GET /x HTTP/1.1', `Host: ${value}`, 'Connection: close'].join('\n'))
      assert.equal(reply.code, 'host_invalid', value)
    }
    const hostless = await ask(s.gatewayUrl, ['GET /x HTTP/1.1', 'Connection: close'].join('\n'))
    assert.equal(hostless.status, 400)
    assert.match(hostless.text, /application\/problem\+json/)
    assert.equal(hostless.code, 'host_invalid')
    const tunnel = await ask(s.gatewayUrl, ['CONNECT example.com:443 HTTP/1.1', 'Host: example.com:443'].join('\n'))
    assert.equal(tunnel.status, 405, tunnel.text)
    assert.equal(tunnel.code, 'method_not_allowed')
    assert.equal(raw.requests.length, before, 'the upstream saw none of them')
  })

  test('a non-ASCII claim reaches the upstream percent-encoded (injective: a literal "%" is %25)', async () => {
    const s = stack()
    const host = new URL(s.gatewayUrl).host
    const signer = await s.signer()
    for (const [agent, sent] of [['agént', 'ag%C3%A9nt'], ['ag%C3%A9nt', 'ag%25C3%25A9nt']] as const) {
      const reply = await ask(s.gatewayUrl, ['GET /admin/x HTTP/1.1', `Host: ${host}`, `Authorization: Bearer ${mint(signer, { agentId: agent })}`, 'Connection: close'].join('\n'))
      assert.equal(reply.status, 200, reply.text)
      assert.deepEqual(raw.last.headers.filter(([n]) => n === 'x-ledgix-agent-id'), [['x-ledgix-agent-id', sent]])
    }
  })
})
