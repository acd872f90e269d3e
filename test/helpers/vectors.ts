// Reads the Ledgix wire vectors from ../shared/testdata/ledgix (never copied into this repo).
// Outside CI, when ../shared is absent, suites that need them skip with a message saying why;
// in CI (CI=true) a missing vector directory is a failure.
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const VECTOR_DIR = fileURLToPath(new URL('../../../shared/testdata/ledgix/', import.meta.url))

export const vectorsAvailable = existsSync(VECTOR_DIR)

/** Reason to pass as `{ skip }` to node:test, or false when the vectors are present. */
export const skipWithoutVectors: string | false = vectorsAvailable
  ? false
  : `Ledgix vectors not found at ${VECTOR_DIR}: clone this repo beside ../shared to run them`

if (!vectorsAvailable && process.env.CI === 'true') {
  throw new Error(`CI=true but the Ledgix vectors are missing at ${VECTOR_DIR}`)
}

export function loadVector<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(VECTOR_DIR + file, 'utf8')) as T
}
