// Budgets and CSP hygiene of the built dashboard (design notes §5.1, §5.4): app JS ≤ 45 KB gzip
// including the proof verifier, CSS ≤ 10 KB gzip; the HTML has no inline executable script and no
// style attribute; the assets name no third-party origin; the sources never use
// dangerouslySetInnerHTML or inline styles.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { loadDashboardAssets } from '../../src/dashboard/assets.ts'

const JS_BUDGET_GZIP = 45 * 1024
const CSS_BUDGET_GZIP = 10 * 1024
const root = join(import.meta.dirname, '..', '..')

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) sources(path, out)
    else if (/\.(tsx?|css|html)$/.test(name)) out.push(path)
  }
  return out
}

test('app JS ≤ 45 KB gzip (with the verifier), CSS ≤ 10 KB gzip', async () => {
  const { files } = await loadDashboardAssets()
  const js = [...files].filter(([n]) => n.endsWith('.js'))
  const css = [...files].filter(([n]) => n.endsWith('.css'))
  assert.equal(js.length, 1, 'one script: no lazily fetched chunks to budget separately')
  assert.equal(css.length, 1)
  const jsGzip = gzipSync(js[0]![1].body, { level: 9 }).length
  const cssGzip = gzipSync(css[0]![1].body, { level: 9 }).length
  assert.ok(jsGzip <= JS_BUDGET_GZIP, `app JS is ${jsGzip} bytes gzip, budget ${JS_BUDGET_GZIP}`)
  assert.ok(cssGzip <= CSS_BUDGET_GZIP, `CSS is ${cssGzip} bytes gzip, budget ${CSS_BUDGET_GZIP}`)
  // The verifier really is inside (not fetched from elsewhere): its step labels ship in the bundle.
  assert.ok(js[0]![1].body.toString('utf8').includes('inclusion checkpoint signature'))
})

test('the HTML: only the module script and the JSON boot block, no inline script or style', async () => {
  const { index } = await loadDashboardAssets()
  const scripts = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)]
  assert.equal(scripts.length, 1)
  assert.match(scripts[0]![1]!, /^ type="module" src="\/ui\/assets\/app-[A-Z0-9]{8}\.js"$/)
  assert.equal(scripts[0]![2], '', 'no inline code')
  assert.equal(index.split('<!--BOOT-->').length, 2, 'exactly one boot marker')
  assert.ok(!/\sstyle\s*=/i.test(index), 'no style attribute')
  assert.ok(!/<style/i.test(index), 'no <style> element')
  assert.ok(!/\son[a-z]+\s*=/i.test(index), 'no inline event handler')
})

test('no third-party URL in any asset (XML namespace names are not requests)', async () => {
  const { files, index } = await loadDashboardAssets()
  for (const [name, text] of [['index.html', index], ...[...files].map(([n, f]) => [n, f.body.toString('utf8')] as const)]) {
    const urls = [...text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"'`)]*/gi)].map((m) => m[0])
    const foreign = urls.filter((u) => !/^http:\/\/www\.w3\.org\/(2000\/svg|1999\/xlink|1999\/xhtml|1998\/Math\/MathML|XML\/1998\/namespace)/.test(u))
    assert.deepEqual(foreign, [], name)
  }
})

test('sources: no dangerouslySetInnerHTML, no inline style, no eval', () => {
  const files = sources(join(root, 'dashboard'))
  assert.ok(files.length >= 10)
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    assert.ok(!text.includes('dangerouslySetInnerHTML'), file)
    assert.ok(!/\sstyle\s*=\s*[{"']/.test(text), `${file}: inline style`)
    assert.ok(!/\b(eval|new Function)\s*\(/.test(text), `${file}: eval`)
    assert.ok(!/\.innerHTML\s*=/.test(text), `${file}: innerHTML`)
  }
})
