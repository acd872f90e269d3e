// The README error table and the catalog in src/core/errors.ts list the same codes with the same
// statuses, both ways (fastify keeps lib/errors.js and its docs in lockstep the same way).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { ERRORS } from '../../src/core/index.ts'

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

function readmeErrorRows(): Map<string, number> {
  const section = README.split('\n## Errors\n')[1]?.split('\n## ')[0] ?? ''
  const rows = new Map<string, number>()
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([a-z][a-z0-9_]*)`\s*\|\s*(\d{3})\s*\|/.exec(line)
    if (m !== null) rows.set(m[1]!, Number(m[2]))
  }
  return rows
}

test('every catalog code is in the README error table with its status', () => {
  const rows = readmeErrorRows()
  for (const [code, entry] of Object.entries(ERRORS)) {
    assert.equal(rows.get(code), entry.status, `README "Errors" table: row for \`${code}\` with status ${entry.status}`)
  }
})

test('every README error row names a catalog code', () => {
  for (const code of readmeErrorRows().keys()) assert.ok(Object.hasOwn(ERRORS, code), `README lists unknown code ${code}`)
})
