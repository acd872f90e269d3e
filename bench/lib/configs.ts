// Renders the YAML templates of bench/configs/ into a run's temp dir: {{NAME}} placeholders get
// ports, URLs, the data dir and the bench signing key. A placeholder left unfilled is a bug here,
// so it throws rather than writing a config the gateway would reject with a confusing message.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_REPLAY_CACHE_SIZE } from '../../src/config/defaults.ts'
import type { BenchKey } from './tokens.ts'

const CONFIG_DIR = join(dirname(dirname(fileURLToPath(import.meta.url))), 'configs')
export const POLICIES_DIR = join(CONFIG_DIR, 'policies')

export type Template = 'all-in-one' | 'paired' | 'vault-only' | 'streams' | 'vault-keys' | 'paired-keys' | 'vault-notify' | 'vault-pg'

export function renderTemplate(template: Template, values: Readonly<Record<string, string | number>>): string {
  const text = readFileSync(join(CONFIG_DIR, `${template}.yaml`), 'utf8')
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_all, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`bench/configs/${template}.yaml: no value for {{${name}}}`)
    return String(value)
  })
}

/** The PEM as the body of a YAML block scalar (`pem: |` at 4 spaces, content at 6). */
export function pemBlock(key: BenchKey): string {
  return key.pem
    .trim()
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n')
}

export interface RenderedConfig {
  file: string
  dataDir: string
}

/** Write `template` rendered with `values` (plus the key and a fresh data dir) under `dir/name/`. */
export function writeConfig(dir: string, name: string, template: Template, key: BenchKey, logLevel: string, values: Readonly<Record<string, string | number>>): RenderedConfig {
  const home = join(dir, name)
  const dataDir = join(home, 'data')
  mkdirSync(dataDir, { recursive: true })
  const file = join(home, 'config.yaml')
  writeFileSync(
    file,
    renderTemplate(template, {
      DATA_DIR: dataDir,
      POLICIES_DIR,
      KID: key.kid,
      PEM: pemBlock(key),
      LOG_LEVEL: logLevel,
      // The product's own default, so only a scenario that asks for another bound gets one.
      REPLAY_CACHE_SIZE: DEFAULT_REPLAY_CACHE_SIZE,
      ...values,
    }),
  )
  return { file, dataDir }
}
