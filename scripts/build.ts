// `npm run build`: bundle the CLI into dist/ledgix-gateway.mjs, runnable with plain `node`.
// The native SQLite addon stays external (it is loaded from node_modules at run time).
// `--outfile FILE` builds elsewhere (the bundle test builds into a temp dir, never over dist/).
import { build } from 'esbuild'
import { chmodSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const flag = process.argv.indexOf('--outfile')
const outfile = flag !== -1 && process.argv[flag + 1] !== undefined ? resolve(process.argv[flag + 1]!) : `${root}dist/ledgix-gateway.mjs`

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
