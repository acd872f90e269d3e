// Walks the config JSON Schema the way a reader of the YAML sees it: one entry per key path
// (`routes[].upstream.url`), following objects, list items and union branches.
export type JsonSchema = Record<string, unknown>

export interface SchemaKey {
  path: string
  schema: JsonSchema
}

export function schemaKeys(schema: JsonSchema, prefix = ''): SchemaKey[] {
  const out: SchemaKey[] = []
  for (const [key, sub] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
    const path = prefix === '' ? key : `${prefix}.${key}`
    out.push({ path, schema: sub })
    out.push(...nested(sub, path))
  }
  return out
}

function nested(sub: JsonSchema, path: string): SchemaKey[] {
  if (sub.type === 'object') return schemaKeys(sub, path)
  if (sub.type === 'array') return nested(sub.items as JsonSchema, `${path}[]`)
  if (Array.isArray(sub.anyOf)) return (sub.anyOf as JsonSchema[]).flatMap((b) => nested(b, path))
  return []
}

/** Every subschema, for checks that apply to all of them. */
export function allSchemas(schema: JsonSchema): JsonSchema[] {
  const out: JsonSchema[] = [schema]
  const children = [
    ...Object.values((schema.properties ?? {}) as Record<string, JsonSchema>),
    ...(schema.items ? [schema.items as JsonSchema] : []),
    ...((schema.anyOf ?? []) as JsonSchema[]),
  ]
  for (const c of children) out.push(...allSchemas(c))
  return out
}
