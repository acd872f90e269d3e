// The dashboard's static assets (contract docs/design/dashboard.md §2). In the single-file bundle
// scripts/build.ts embeds them as one JSON string (esbuild `define`), so neither the bundle nor the
// Docker image needs an asset directory; under tsx they are built in memory with esbuild on first use.
import { createHash } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { BuiltDashboard } from './build-app.ts'

export interface DashboardAsset {
  body: Buffer
  contentType: string
  /** A strong ETag: the quoted base64url SHA-256 of the body. */
  etag: string
}

export interface DashboardAssets {
  /** The HTML template with the literal marker "<!--BOOT-->". */
  index: string
  /** By hashed file name, e.g. "app-3F2AKQ7D.js". */
  files: Map<string, DashboardAsset>
}

/** The embedded form scripts/build.ts defines: bodies as base64. */
export interface EmbeddedDashboard {
  index: string
  files: { name: string; contentType: string; base64: string }[]
}

// Replaced by scripts/build.ts with the JSON text of an EmbeddedDashboard; undefined under tsx.
declare const __LEDGIX_DASHBOARD_ASSETS__: string | undefined

let loading: Promise<DashboardAssets> | null = null

function assetOf(body: Buffer, contentType: string): DashboardAsset {
  return { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url')}"` }
}

function fromBuilt(built: BuiltDashboard): DashboardAssets {
  const files = new Map<string, DashboardAsset>()
  for (const f of built.files) files.set(f.name, assetOf(Buffer.from(f.body), f.contentType))
  return { index: built.index, files }
}

/** What scripts/build.ts embeds: the built app, bodies base64-encoded. */
export function embedDashboard(built: BuiltDashboard): EmbeddedDashboard {
  return { index: built.index, files: built.files.map((f) => ({ name: f.name, contentType: f.contentType, base64: Buffer.from(f.body).toString('base64') })) }
}

async function load(): Promise<DashboardAssets> {
  // In the bundle `define` makes this condition a constant, so esbuild drops the else branch at parse
  // time and its import() with it: the bundle never contains the builder or esbuild (ui-bundle test).
  if (typeof __LEDGIX_DASHBOARD_ASSETS__ === 'string') {
    const embedded = JSON.parse(__LEDGIX_DASHBOARD_ASSETS__) as EmbeddedDashboard
    const files = new Map<string, DashboardAsset>()
    for (const f of embedded.files) files.set(f.name, assetOf(Buffer.from(f.base64, 'base64'), f.contentType))
    return { index: embedded.index, files }
  } else {
    const { buildDashboardFiles } = await import('./build-app.ts')
    return fromBuilt(await buildDashboardFiles(fileURLToPath(new URL('../../', import.meta.url))))
  }
}

/** The assets, loaded (or built) once per process; a failed build is retried on the next call. */
export function loadDashboardAssets(): Promise<DashboardAssets> {
  if (loading === null) {
    loading = load()
    loading.catch(() => {
      loading = null
    })
  }
  return loading
}
