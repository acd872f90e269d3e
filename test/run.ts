// One test command for Node 20 (where --test takes paths, not globs) and Node >= 22: collect every
// *.test.ts under test/ (or the paths/substrings given as arguments) and hand them to node:test's run().
// Usage: npm test                 all suites
//        npm test -- token gateway   only files whose path contains "token" or "gateway"
import { readdirSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { run } from 'node:test'
import { spec } from 'node:test/reporters'

const root = resolve(import.meta.dirname)

function collect(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (name === 'node_modules' || name === 'fixtures') continue
    if (statSync(path).isDirectory()) collect(path, out)
    else if (name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

const filters = process.argv.slice(2)
const files = collect(root, []).filter(
  (f) => filters.length === 0 || filters.some((needle) => relative(root, f).includes(needle)),
)
if (files.length === 0) {
  process.stderr.write(`no test files match ${JSON.stringify(filters)}\n`)
  process.exit(1)
}

// Two cores: run two files at a time. Each file gets a generous ceiling so a hung server fails the
// run instead of stalling CI.
const stream = run({ files, concurrency: 2, timeout: 240_000 })
stream.on('test:fail', () => {
  process.exitCode = 1
})
stream.compose(new spec()).pipe(process.stdout)
