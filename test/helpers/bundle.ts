// The single-file bundle (`npm run build`, what the Docker image runs), built once per test file into
// a temp dir: never over the repo's dist/, which bin/ would then prefer for every other test.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')

/**
 * Build scripts/build.ts into `<temp>/app/dist/ledgix-gateway.mjs` and return that app dir; the
 * caller lays out the rest (node_modules, config). The temp dir goes when the process exits.
 */
export function buildBundle(tempPrefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), tempPrefix))
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  const app = join(dir, 'app')
  const built = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'build.ts'), '--outfile', join(app, 'dist', 'ledgix-gateway.mjs')], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  assert.equal(built.status, 0, built.stderr)
  return app
}
