import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRootLogger } from '../../src/observability/index.ts'
import { compileRouteTable, upstreamPath } from '../../src/gateway/route-table.ts'
import { testRoute } from '../helpers/gateway-harness.ts'
import { LogSink } from '../helpers/gateway-harness.ts'

const logger = createRootLogger({ level: 'silent', destination: new LogSink() })
const UP = 'http://127.0.0.1:9'

test('prefixes match on segment boundaries; the longest prefix and host-bound routes win', async (t) => {
  const table = compileRouteTable(
    [
      testRoute('v1', UP, { match: { host: null, pathPrefix: '/v1', methods: null } }),
      testRoute('admin', UP, { match: { host: null, pathPrefix: '/v1/admin/', methods: ['GET'] } }),
      testRoute('hosted', UP, { match: { host: 'API.example.com', pathPrefix: '/v1', methods: null } }),
      testRoute('root', UP, { match: { host: null, pathPrefix: '/', methods: ['GET'] } }),
    ],
    logger,
  )
  t.after(() => table.destroy())
  const name = (host: string | null, path: string, method = 'GET'): string => {
    const m = table.match(host, path, method)
    return typeof m === 'string' ? m : m.name
  }
  assert.equal(name(null, '/v1'), 'v1')
  assert.equal(name(null, '/v1/x'), 'v1')
  assert.equal(name(null, '/v10'), 'root')
  assert.equal(name(null, '/v1/admin'), 'admin')
  assert.equal(name(null, '/v1/admin/users'), 'admin')
  assert.equal(name(null, '/v1/administrator'), 'v1')
  assert.equal(name(null, '/v1/admin', 'POST'), 'v1', 'a method miss falls through to a less specific route')
  assert.equal(name('api.example.com', '/v1/x'), 'hosted')
  assert.equal(name(null, '/other', 'POST'), 'method_not_allowed')
  assert.equal(table.allowFor(null, '/other'), 'GET, HEAD')
})

test('method miss everywhere → method_not_allowed; no prefix → route_not_found', async (t) => {
  const table = compileRouteTable([testRoute('v1', UP, { match: { host: null, pathPrefix: '/v1', methods: ['POST'] } })], logger)
  t.after(() => table.destroy())
  assert.equal(table.match(null, '/v1/x', 'GET'), 'method_not_allowed')
  assert.equal(table.match(null, '/v2', 'POST'), 'route_not_found')
})

test('upstreamPath joins base path, (stripped) path and query', async (t) => {
  const table = compileRouteTable(
    [
      testRoute('strip', 'http://127.0.0.1:9/api/', { match: { host: null, pathPrefix: '/crm/v1', methods: null }, stripPrefix: true }),
      testRoute('keep', 'http://127.0.0.1:9', { match: { host: null, pathPrefix: '/v1', methods: null } }),
      testRoute('rootstrip', 'http://127.0.0.1:9', { match: { host: null, pathPrefix: '/', methods: null }, stripPrefix: true }),
    ],
    logger,
  )
  t.after(() => table.destroy())
  const route = (n: string) => table.routes.find((r) => r.name === n)!
  assert.equal(upstreamPath(route('strip'), '/crm/v1/contacts/7', '?q=1'), '/api/contacts/7?q=1')
  assert.equal(upstreamPath(route('strip'), '/crm/v1', ''), '/api')
  assert.equal(upstreamPath(route('keep'), '/v1/x', ''), '/v1/x')
  assert.equal(upstreamPath(route('rootstrip'), '/a/b', ''), '/a/b')
  assert.equal(upstreamPath(route('rootstrip'), '/', ''), '/')
})

test('a path another route takes under a case-insensitive or ".ext" reading → route_ambiguous', async (t) => {
  const table = compileRouteTable(
    [
      testRoute('admin', UP, { match: { host: null, pathPrefix: '/admin', methods: ['POST'] } }),
      testRoute('Docs', UP, { match: { host: null, pathPrefix: '/Docs', methods: null } }),
      testRoute('root', UP, { match: { host: null, pathPrefix: '/', methods: null } }),
    ],
    logger,
  )
  t.after(() => table.destroy())
  const name = (path: string, method = 'POST'): string => {
    const m = table.match(null, path, method)
    return typeof m === 'string' ? m : m.name
  }
  assert.equal(name('/ADMIN'), 'route_ambiguous')
  assert.equal(name('/admin.json'), 'route_ambiguous')
  assert.equal(name('/Admin/x'), 'route_ambiguous')
  assert.equal(name('/ADMIN', 'GET'), 'root', 'the admin route does not take GET under any reading')
  assert.equal(name('/admin/x.json'), 'admin')
  assert.equal(name('/admin.d/x'), 'root', 'a dot before a further segment is no format suffix')
  assert.equal(name('/docs/x'), 'route_ambiguous', 'a lowercase path against an uppercase prefix')
  assert.equal(name('/Docs/x'), 'Docs')
  assert.equal(name('/other.json'), 'root')
})
