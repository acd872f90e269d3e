// The Ajv that compiles the Vault's route schemas. It lives in its own module so that server.ts can
// load it on first use with `import('./route-ajv.ts')` (cold start, issue 7) while ajv itself is
// imported STATICALLY here. Why that matters: ajv is CommonJS. Node's ESM loader gives a dynamic
// `import('ajv')` its named exports (`Ajv`), but esbuild's bundle (scripts/build.ts, splitting) turns
// a dynamic import of a CommonJS package into a chunk whose only export is `default`, so the bundle
// found no `Ajv`, every schema'd route's validator rejected, and fastify answered 400. A static
// import is converted with esbuild's CommonJS interop, which keeps the named exports; the lazy
// boundary is our own ESM module, which both loaders treat alike (test/core/lazy-imports.test.ts).
import { Ajv } from 'ajv'

/** fastify's own options (@fastify/ajv-compiler defaults) with ours: no coercion, no removal. */
export function createRouteAjv(): Ajv {
  return new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, addUsedSchema: false, allErrors: false })
}
