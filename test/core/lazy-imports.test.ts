// Every lazy load in src/ must behave the same unbundled (tsx, Node's loader) and in the esbuild
// bundle (scripts/build.ts). A dynamic import() of an npm package does not: Node gives a CommonJS
// package's named exports, the bundle's chunk only `default` (ajv: every schema'd Vault route
// answered 400 in dist/ only). So a runtime import() names one of our own modules (relative), which
// imports the package statically (src/vault/route-ajv.ts, src/gateway/tunnel-proxy.ts), or a node:
// builtin; and the specifier is a literal, or esbuild could not bundle its target at all.
// test/e2e/bundle.vault-routes.test.ts runs the built bundle through those lazy paths.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const SRC = resolve(import.meta.dirname, '../../src')

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) walk(p, out)
    else if (p.endsWith('.ts')) out.push(p)
  }
  return out
}

/** Comments out (they quote the forbidden forms); `://` in strings survives (no whitespace before it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1')
}

/** Each `import(` that is not a type (`typeof import('x')`, `: import('x').T`), with what follows. */
function runtimeImports(text: string): string[] {
  const found: string[] = []
  for (const m of text.matchAll(/(typeof\s+)?\bimport\(\s*([^)]*)\)(\.[A-Za-z_$][\w$]*\s*\(?)?/g)) {
    // A member after it is a type (`import('x').T`) unless called (`import('x').then(...)`).
    if (m[1] !== undefined || (m[3] !== undefined && !m[3].endsWith('('))) continue
    found.push(m[2]!.trim())
  }
  return found
}

function lazyImportProblems(files: ReadonlyArray<{ name: string; text: string }>): string[] {
  const problems: string[] = []
  for (const { name, text } of files) {
    for (const spec of runtimeImports(code(text))) {
      const literal = /^(['"])([^'"]+)\1$/.exec(spec)
      if (literal === null) problems.push(`${name}: import(${spec}): not a string literal (esbuild cannot bundle it)`)
      else if (!literal[2]!.startsWith('./') && !literal[2]!.startsWith('../') && !literal[2]!.startsWith('node:')) {
        problems.push(`${name}: import('${literal[2]}'): import the package statically in one of our modules and import() that`)
      }
    }
  }
  return problems
}

test('the check sees the forms that break the bundle, and not types or comments', () => {
  const problems = lazyImportProblems([
    { name: 'a.ts', text: "const m = await import('ajv')\nconst n = import(\"http-proxy-3\").then(f)\nconst o = await import(name)" },
    { name: 'b.ts', text: "type T = typeof import('ajv').Ajv\nlet c: import('./types.ts').Config\n// import('ajv')\n/* import('x') */\nconst u = 'http://h/x' // import('ajv')" },
    { name: 'c.ts', text: "const v = await import('../vault/index.ts')\nconst w = await import('node:net')" },
  ])
  assert.deepEqual(problems, [
    "a.ts: import('ajv'): import the package statically in one of our modules and import() that",
    "a.ts: import('http-proxy-3'): import the package statically in one of our modules and import() that",
    'a.ts: import(name): not a string literal (esbuild cannot bundle it)',
  ])
})

test('src/: every runtime import() loads one of our own modules or a node: builtin, by a literal', () => {
  const files = walk(SRC).map((p) => ({ name: relative(SRC, p), text: readFileSync(p, 'utf8') }))
  assert.ok(files.some((f) => f.text.includes("import('./route-ajv.ts')")), 'the walk reaches the Vault route validator')
  assert.deepEqual(lazyImportProblems(files), [])
})
