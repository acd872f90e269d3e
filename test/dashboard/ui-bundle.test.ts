// The single-file bundle (`npm run build`, what the Docker image runs) serves the dashboard from the
// assets embedded at build time: no dashboard/ directory and no esbuild at run time. The Vault's
// start-up log names the dashboard URL.
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildBundle, REPO_ROOT } from '../helpers/bundle.ts'
import { send } from '../helpers/http-client.ts'
import { spawnServe } from '../helpers/serve-process.ts'

let app = ''

before(() => {
  app = buildBundle('ledgix-ui-bundle-')
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(app, 'node_modules'))
})

test('the built bundle serves /ui/ and its hashed assets from memory; no chunk imports esbuild', async (t) => {
  const dist = join(app, 'dist')
  const code = [join(dist, 'ledgix-gateway.mjs'), ...readdirSync(join(dist, 'chunks')).filter((f) => f.endsWith('.mjs')).map((f) => join(dist, 'chunks', f))]
  for (const file of code) assert.ok(!/from\s*["']esbuild["']|import\(\s*["']esbuild["']\s*\)/.test(readFileSync(file, 'utf8')), `${file} imports esbuild`)

  const data = mkdtempSync(join(tmpdir(), 'ledgix-ui-bundle-data-'))
  t.after(() => rmSync(data, { recursive: true, force: true }))
  const yaml = `mode: vault-only
admin:
  listen: { host: 127.0.0.1, port: 0 }
vault_server:
  listen: { host: 127.0.0.1, port: 0 }
  data_dir: ${JSON.stringify(data)}
`
  const proc = await spawnServe(yaml, { entry: join(dist, 'ledgix-gateway.mjs'), cwd: app, env: { LEDGIX_BOOTSTRAP_API_KEY: 'sk_test_ui_bundle' } })
  t.after(() => proc.stop())
  const port = new URL(proc.vaultUrl).port
  assert.ok(proc.lines.some((l) => l['msg'] === `dashboard: http://127.0.0.1:${port}/ui/`), 'the start-up log names the dashboard URL')

  const page = await send(`${proc.vaultUrl}/ui/`)
  assert.equal(page.status, 200)
  assert.match(page.text, /<script type="application\/json" id="boot">/)
  const names = [...page.text.matchAll(/\/ui\/assets\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]!)
  assert.equal(names.length, 3)
  for (const name of names) {
    const r = await send(`${proc.vaultUrl}/ui/assets/${name}`)
    assert.equal(r.status, 200, name)
    assert.ok(r.text.length > 100 || name.endsWith('.svg'), name)
    assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable')
  }
})
