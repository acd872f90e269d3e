// How the bench starts the product: by default a fresh esbuild bundle of the current sources
// (scripts/build.ts --outfile bench/.build/ledgix-gateway.mjs), i.e. the shipped form, run with
// plain node — never a stale dist/. With --tsx, or when the build fails, bin/ledgix-gateway.mjs.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

const BUILD_TIMEOUT_MS = 120_000

export function gatewayEntry(repoDir: string, useTsx: boolean): { script: string; description: string } {
  const bin = join(repoDir, 'bin', 'ledgix-gateway.mjs')
  const viaBin = existsSync(join(repoDir, 'dist', 'ledgix-gateway.mjs'))
    ? 'node bin/ledgix-gateway.mjs (dist/ bundle)'
    : 'node bin/ledgix-gateway.mjs via tsx (TypeScript sources, no bundle)'
  if (useTsx) return { script: bin, description: viaBin }
  // Inside the repo so the bundle's external better-sqlite3 resolves from node_modules.
  const outDir = join(repoDir, 'bench', '.build')
  mkdirSync(outDir, { recursive: true })
  const outfile = join(outDir, 'ledgix-gateway.mjs')
  process.stderr.write(`bench: building ${outfile} (scripts/build.ts --outfile)\n`)
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(repoDir, 'scripts', 'build.ts'), '--outfile', outfile], {
    cwd: repoDir,
    encoding: 'utf8',
    timeout: BUILD_TIMEOUT_MS,
  })
  if (result.status === 0 && existsSync(outfile)) return { script: outfile, description: 'node bench/.build/ledgix-gateway.mjs (esbuild bundle of the current sources, as `npm run build` makes)' }
  const why = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').slice(-2).join(' | ')
  process.stderr.write(`bench: bundle build failed (${why}); using bin/ledgix-gateway.mjs\n`)
  return { script: bin, description: `${viaBin} — bundle build failed: ${why.slice(0, 200)}` }
}
