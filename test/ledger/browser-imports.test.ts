// The verifier must run in a browser: nothing reachable from src/ledger/browser.ts may import a
// `node:` module (node:crypto lives in node-crypto.ts, which only index.ts re-exports).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const IMPORT = /(?:import|export)\s[^'"]*?from\s+'([^']+)'|import\s+'([^']+)'/g

function walk(file: string, seen: Set<string>, bare: Set<string>): void {
  if (seen.has(file)) return
  seen.add(file)
  for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
    const spec = (match[1] ?? match[2])!
    if (spec.startsWith('.')) walk(resolve(dirname(file), spec), seen, bare)
    else bare.add(spec)
  }
}

test('nothing reachable from src/ledger/browser.ts imports node: or node-crypto.ts', () => {
  const entry = fileURLToPath(new URL('../../src/ledger/browser.ts', import.meta.url))
  const seen = new Set<string>()
  const bare = new Set<string>()
  walk(entry, seen, bare)
  assert.ok(seen.size >= 10, `walked only ${seen.size} files`)
  assert.deepEqual([...bare].sort(), ['@noble/ed25519'])
  assert.ok(![...seen].some((f) => f.endsWith('node-crypto.ts')))
})

test('index.ts exports everything browser.ts exports', () => {
  const names = (file: string) => {
    const text = readFileSync(fileURLToPath(new URL(`../../src/ledger/${file}`, import.meta.url)), 'utf8')
    return new Set([...text.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean)))
  }
  const index = names('index.ts')
  for (const name of names('browser.ts')) assert.ok(index.has(name), `index.ts misses ${name}`)
})
