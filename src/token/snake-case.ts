// The SDK's camelCase → snake_case key rewrite (spec §1), which is what the Vault hashes into
// tool_args_hash: every ASCII capital X becomes "_x" in every object key, recursively. Quirk kept
// on purpose: an array's object items are rewritten, but an array nested in an array passes
// through untouched, objects inside it included (`[[{deepKey: 1}]]` stays as is).

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** "HTTPMethod" → "_h_t_t_p_method", "customerId" → "customer_id", "Z" → "_z". */
export function snakeCaseKey(key: string): string {
  let out = ''
  let start = 0
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    if (c >= 65 && c <= 90) {
      out += key.substring(start, i) + '_' + String.fromCharCode(c + 32)
      start = i + 1
    }
  }
  return start === 0 ? key : out + key.substring(start)
}

function rewriteArray(items: readonly unknown[]): unknown[] {
  const out = new Array<unknown>(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = items[i]
    out[i] = isPlainObject(item) ? rewriteObject(item) : item
  }
  return out
}

function rewriteObject(object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(object)) {
    const name = snakeCaseKey(key)
    const value = snakeCaseKeys(object[key])
    // A JSON "__proto__" key must stay data, never become this object's prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true })
    else out[name] = value
  }
  return out
}

/** Returns a rewritten copy; primitives come back as they are. */
export function snakeCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return rewriteArray(value)
  if (isPlainObject(value)) return rewriteObject(value)
  return value
}

/** Two keys of one object that the rewrite maps to the same key: one of them would never be checked. */
export interface SnakeCaseCollision {
  /** Path of the object holding both keys, innermost segment first. */
  readonly path: string[]
  readonly first: string
  readonly second: string
  readonly rewritten: string
}

export type ExactRewrite = { ok: true; value: unknown } | { ok: false; collision: SnakeCaseCollision }

/**
 * The same rewrite, reaching exactly the objects snakeCaseKeys reaches, but refusing a collision
 * (`customer_id` beside `customerId`) instead of letting the last key win: the gateway's bound-args
 * check accepts a body only when it has one reading.
 */
export function snakeCaseKeysExact(value: unknown): ExactRewrite {
  const rewriter = new CollisionAwareRewrite()
  const out = rewriter.value(value)
  return rewriter.collision === null ? { ok: true, value: out } : { ok: false, collision: rewriter.collision }
}

class CollisionAwareRewrite {
  collision: SnakeCaseCollision | null = null

  value(value: unknown): unknown {
    if (Array.isArray(value)) return this.array(value)
    if (isPlainObject(value)) return this.object(value)
    return value
  }

  array(items: readonly unknown[]): unknown[] {
    const out = new Array<unknown>(items.length)
    for (let i = 0; i < items.length; i++) {
      const item = items[i]
      // Same quirk as rewriteArray: only objects directly in the array are rewritten.
      out[i] = isPlainObject(item) ? this.object(item) : item
      if (this.collision !== null) {
        this.collision.path.push(String(i))
        return out
      }
    }
    return out
  }

  object(object: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    const keys = Object.keys(object)
    for (const key of keys) {
      const name = snakeCaseKey(key)
      if (Object.hasOwn(out, name)) {
        this.collision = { path: [], first: keys.find((k) => snakeCaseKey(k) === name)!, second: key, rewritten: name }
        return out
      }
      const value = this.value(object[key])
      if (this.collision !== null) {
        this.collision.path.push(key)
        return out
      }
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true })
      else out[name] = value
    }
    return out
  }
}
