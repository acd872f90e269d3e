#!/usr/bin/env node
// Entry point: everything lives in src/cli.
import { run } from '../src/cli/index.ts'

run().catch((err: unknown) => {
  process.stderr.write(`ledgix-gateway: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
