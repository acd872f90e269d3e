// gateway.max_inflight_body and routes[].max_inflight_body (issue 16, availability): defaults, the
// default raised to admit one max_body body, and an explicit value too small to admit one refused.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { load, problemAt, problemsOf, route } from './helpers.ts'

const MiB = 1024 * 1024

test('defaults: 32 MiB per route, 128 MiB per worker', () => {
  const c = load(`routes:\n${route('a', '    bind_args: exact\n')}`)
  assert.equal(c.routes[0]!.maxInflightBodyBytes, 32 * MiB)
  assert.equal(c.gateway.maxInflightBodyBytes, 128 * MiB)
})

test('unset, the budgets are raised to admit one max_body body', () => {
  const c = load(`routes:\n${route('a', '    bind_args: exact\n    max_body: 200mib\n')}${route('b', '    max_body: 300mib\n')}`)
  assert.equal(c.routes[0]!.maxInflightBodyBytes, 200 * MiB)
  // Route b does not bind arguments, so it buffers nothing: only a's max_body counts for the worker.
  assert.equal(c.gateway.maxInflightBodyBytes, 200 * MiB)
})

test('explicit values are kept', () => {
  const c = load(`gateway:\n  max_inflight_body: 8mib\nroutes:\n${route('a', '    bind_args: exact\n    max_inflight_body: 2mib\n')}`)
  assert.equal(c.routes[0]!.maxInflightBodyBytes, 2 * MiB)
  assert.equal(c.gateway.maxInflightBodyBytes, 8 * MiB)
})

test('a budget set below the max_body it must admit is a problem naming the key', () => {
  const p = problemsOf(`gateway:\n  max_inflight_body: 1mib\nroutes:\n${route('a', '    bind_args: exact\n    max_body: 2mib\n    max_inflight_body: 1mib\n')}`)
  assert.match(problemAt(p, 'routes[0].max_inflight_body').message, /at least max_body \(2097152 bytes\)/)
  assert.match(problemAt(p, 'gateway.max_inflight_body').message, /at least max_body/)
})
