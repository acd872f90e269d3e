// The module dependency rules of STYLE.md §1, enforced: every relative import between src/ modules
// must follow an allowed edge, and must go through the target module's index.ts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

const SRC = resolve(import.meta.dirname, '../../src')

const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  config: ['core'],
  observability: ['core'],
  store: ['core'],
  token: ['core'],
  ledger: ['store', 'core'],
  gateway: ['token', 'config', 'observability', 'core'],
  drift: ['store', 'config', 'observability', 'core'],
  notify: ['store', 'config', 'observability', 'core'],
  reports: ['ledger', 'store', 'token', 'config', 'observability', 'core'],
  vault: ['token', 'ledger', 'store', 'config', 'observability', 'core', 'drift', 'notify', 'reports', 'dashboard'],
  dashboard: [],
  cli: ['core', 'config', 'observability', 'store', 'token', 'ledger', 'gateway', 'vault', 'drift', 'notify', 'reports'],
}

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (p.endsWith('.ts')) out.push(p)
  }
  return out
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g

test('src/ modules import only along the allowed edges, through index.ts', () => {
  const violations: string[] = []
  for (const file of walk(SRC)) {
    const fromModule = relative(SRC, file).split('/')[0]!
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(IMPORT)) {
      const spec = (m[1] ?? m[2])!
      const target = resolve(dirname(file), spec)
      const rel = relative(SRC, target)
      if (rel.startsWith('..')) continue
      const toModule = rel.split('/')[0]!
      if (toModule === fromModule) continue
      const where = `${relative(SRC, file)} → ${spec}`
      if (!(ALLOWED[fromModule] ?? []).includes(toModule)) violations.push(`${where}: ${fromModule} may not import ${toModule}`)
      // Type-only imports of a module's contract files are fine (config/types.ts); runtime imports go through index.ts.
      const isTypeOnly = /^\s*(?:import|export)\s+type\s/.test(m[0].replace(/^\n/, ''))
      if (!isTypeOnly && !rel.endsWith('/index.ts') && rel.split('/').length > 1) {
        violations.push(`${where}: import ${toModule} through ${toModule}/index.ts`)
      }
    }
  }
  assert.deepEqual(violations, [])
})
