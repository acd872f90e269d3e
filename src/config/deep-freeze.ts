// Freezing for values handed to the rest of the program: the loaded Config and the JSON Schema.
// A frozen Config cannot be changed behind the hot path's back (fastify lib/initial-config-validation.js).

/** Freezes `value` and everything reachable from it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
