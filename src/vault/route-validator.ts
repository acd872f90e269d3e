// fastify's validator compiler for the Vault routes: Ajv is loaded, and each route schema compiled,
// by the first request that needs it, not at boot (cold start, issue 7).
import type { Ajv, ValidateFunction } from 'ajv'

/** One Ajv for every route schema, loaded and created by the first validation that needs one. */
let routeAjv: Ajv | null = null
let routeAjvLoading: Promise<void> | null = null

function loadRouteAjv(): Promise<void> {
  // Our own module, never import('ajv'): see route-ajv.ts for why the bundle needs that.
  routeAjvLoading ??= import('./route-ajv.ts').then(setRouteAjv)
  return routeAjvLoading
}

function setRouteAjv(module: { createRouteAjv: () => Ajv }): void {
  routeAjv = module.createRouteAjv()
}

/**
 * fastify labels a rejected validator promise a 400 (FST_ERR_VALIDATION), which the error handler
 * would answer as the client's fault. A validator that cannot load or compile is ours: a logged 500.
 */
function validatorFailed(err: unknown): never {
  const failure = err instanceof Error ? err : new Error(String(err))
  ;(failure as Error & { statusCode?: number }).statusCode = 500
  throw failure
}

type LazyValidator = ((data: unknown) => boolean | Promise<boolean>) & { errors?: ValidateFunction['errors'] }

/**
 * fastify's validator compiler, compiling a route's schema on its first request instead of at boot:
 * loading Ajv and compiling every route schema was most of the Vault's start-up (cold start target
 * ≤ 500 ms, issue 7), and the two hot routes are mostly served by the fast path. The very first
 * validation after start waits for Ajv to load (fastify accepts a promise from a validator); the
 * errors are Ajv's, as before. No schema uses `format`, so ajv-formats is not needed.
 */
export function lazyValidatorCompiler({ schema }: { schema: unknown }): LazyValidator {
  let compiled: ValidateFunction | null = null
  const validate: LazyValidator = function validateLazily(data: unknown): boolean | Promise<boolean> {
    if (compiled === null) {
      if (routeAjv === null) return loadRouteAjv().then(() => validate(data) as boolean).catch(validatorFailed)
      compiled = routeAjv.compile(schema as object)
    }
    const ok = compiled(data)
    validate.errors = compiled.errors
    return ok
  }
  return validate
}
