#!/usr/bin/env node
// Installed `ledgix-gateway` command: runs the esbuild bundle when it has been built
// (`npm run build`), otherwise the TypeScript sources through tsx.
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const bundle = fileURLToPath(new URL('../dist/ledgix-gateway.mjs', import.meta.url))
if (existsSync(bundle)) {
  await import(pathToFileURL(bundle).href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../cmd/ledgix-gateway.ts', import.meta.url).href)
}
