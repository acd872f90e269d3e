// Builds the dashboard app (dashboard/src/main.tsx + its CSS) with esbuild, in memory: content-hashed
// file names, the HTML template with those names filled in. scripts/build.ts embeds the result in the
// server bundle; under tsx (npm start, tests) assets.ts calls this on first use.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { build } from 'esbuild'

export interface BuiltFile {
  readonly name: string
  readonly contentType: string
  readonly body: Uint8Array
}

export interface BuiltDashboard {
  /** The HTML template, with the literal "<!--BOOT-->" marker where the boot JSON goes. */
  readonly index: string
  readonly files: readonly BuiltFile[]
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

function contentTypeOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return CONTENT_TYPES[name.slice(dot)] ?? 'application/octet-stream'
}

/** `root` is the repository root (the directory holding dashboard/). */
export async function buildDashboardFiles(root: string): Promise<BuiltDashboard> {
  const dir = join(root, 'dashboard')
  const result = await build({
    entryPoints: { app: join(dir, 'src', 'main.tsx'), icon: join(dir, 'icon.svg') },
    bundle: true,
    write: false,
    outdir: '/ui-assets',
    entryNames: '[name]-[hash]',
    assetNames: '[name]-[hash]',
    format: 'esm',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    platform: 'browser',
    minify: true,
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.svg': 'copy' },
    legalComments: 'none',
    // The verifier is the project's own src/ledger/browser.ts; nothing may reach for node:.
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  const files: BuiltFile[] = result.outputFiles.map((f) => {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1)
    return { name, contentType: contentTypeOf(name), body: f.contents }
  })
  const find = (prefix: string, ext: string): string => {
    const hit = files.find((f) => f.name.startsWith(prefix) && f.name.endsWith(ext))
    if (hit === undefined) throw new Error(`dashboard build produced no ${prefix}*${ext}`)
    return hit.name
  }
  const template = await readFile(join(dir, 'index.html'), 'utf8')
  const index = template
    .replaceAll('{{APP_JS}}', find('app-', '.js'))
    .replaceAll('{{APP_CSS}}', find('app-', '.css'))
    .replaceAll('{{ICON}}', find('icon-', '.svg'))
  return { index, files }
}
