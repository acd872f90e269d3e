// `npm run build`: bundle the CLI into dist/ledgix-gateway.mjs, runnable with plain `node`.
// The native SQLite addon stays external (it is loaded from node_modules at run time).
import { build } from 'esbuild'
import { chmodSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${root}dist/ledgix-gateway.mjs`

await build({
  entryPoints: [`${root}cmd/ledgix-gateway.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  legalComments: 'linked',
  external: ['better-sqlite3', 'pg-native'],
  // CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ledgixCreateRequire } from 'node:module'; const require = __ledgixCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
})
chmodSync(outfile, 0o755)
process.stdout.write(`built ${outfile}\n`)
