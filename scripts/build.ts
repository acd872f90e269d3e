// `npm run build`: bundle the CLI into dist/ledgix-gateway.mjs, runnable with plain `node`, plus the
// chunks its dynamic imports load on demand (dist/chunks/): the Vault, the config loader, the ledger
// and http-proxy-3 are read and compiled only by the commands and modes that use them (cold start,
// issue 7). The native SQLite addon stays external (it is loaded from node_modules at run time).
// `--outfile FILE` builds elsewhere (the bundle test builds into a temp dir, never over dist/).
// The dashboard app (dashboard/) is built first and embedded as one JSON string (src/dashboard/assets.ts).
import { build } from 'esbuild'
import { chmodSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { embedDashboard } from '../src/dashboard/assets.ts'
import { buildDashboardFiles } from '../src/dashboard/build-app.ts'

const root = fileURLToPath(new URL('..', import.meta.url))
const flag = process.argv.indexOf('--outfile')
const outfile = flag !== -1 && process.argv[flag + 1] !== undefined ? resolve(process.argv[flag + 1]!) : `${root}dist/ledgix-gateway.mjs`

const dashboard = await buildDashboardFiles(root)

await build({
  entryPoints: [`${root}cmd/ledgix-gateway.ts`],
  outdir: dirname(outfile),
  entryNames: basename(outfile).replace(/\.m?js$/, ''),
  outExtension: { '.js': '.mjs' },
  // Content-hashed: two builds into one directory (bench runs) never overwrite each other's chunks.
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  sourcemap: 'linked',
  legalComments: 'linked',
  // Start-up reads, decodes and pre-parses every byte a command loads (serve: ~3.9 MB before, ~2.7 MB
  // after). Whitespace and syntax only: identifiers keep their names, so stack traces and CPU
  // profiles stay readable without the source map (issue 7).
  minifyWhitespace: true,
  minifySyntax: true,
  // pdfkit reads its font metrics (and the DejaVu TTFs are read) from node_modules at run time.
  external: ['better-sqlite3', 'pg-native', 'pdfkit'],
  // CommonJS dependencies call require(); give every ESM output file one.
  banner: {
    js: "import { createRequire as __ledgixCreateRequire } from 'node:module'; const require = __ledgixCreateRequire(import.meta.url);",
  },
  // The dashboard's HTML, JS, CSS and icon, content-hashed, embedded: no asset directory at run time.
  define: { __LEDGIX_DASHBOARD_ASSETS__: JSON.stringify(JSON.stringify(embedDashboard(dashboard))) },
  logLevel: 'warning',
})
chmodSync(outfile, 0o755)
process.stdout.write(`built ${outfile}\n`)
