// The config JSON Schema as the loader reads it and `config schema` prints it: the copy embedded in
// the generated validator, which scripts/gen-config-validator.ts writes from schema.ts, so loading
// a config never builds the TypeBox schema (issue 7). The generator checks the copy is that schema.
import { deepFreeze } from './deep-freeze.ts'
import { configJsonSchema as embedded } from './generated/config-validator.ts'

export const configJsonSchema: Readonly<Record<string, unknown>> = deepFreeze(embedded as Record<string, unknown>)
