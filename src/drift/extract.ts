// What drift keeps from one request's arguments: amount-like numbers (by key), counterparty hashes
// (raw ids never reach drift storage) and the argument shape (key paths). Runs in the background
// worker, never on the request path; bounded in depth and keys so a hostile body costs little.
import { createHash } from 'node:crypto'

/** Walk at most this deep and this many keys: argument shapes deeper than that are not behaviour. */
const MAX_DEPTH = 3
const MAX_KEYS = 64

/** Keys whose positive numbers are amount-like (normalised: lowercase, no `_`/`-`). */
function isAmountKey(k: string): boolean {
  return k.includes('amount') || k === 'total' || k === 'price' || k === 'value' || k === 'sum' || k === 'cost' || k === 'fee' || k === 'quantity'
}

export function normaliseKey(k: string): string {
  let out = ''
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i)
    if (c === 95 || c === 45) continue
    out += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : k[i]
  }
  return out
}

export interface ArgFacts {
  /** path → value (positive, finite). */
  amounts: Array<{ path: string; value: number }>
  /** 24 hex chars of SHA-256 over tenant, agent, path and value. */
  counterparties: string[]
  /** Every key path, arrays as `[]`, sorted. */
  shape: string[]
}

export function extractArgFacts(args: Record<string, unknown>, counterpartyKeys: ReadonlySet<string>, salt: string): ArgFacts {
  const facts: ArgFacts = { amounts: [], counterparties: [], shape: [] }
  const budget = { keys: MAX_KEYS }
  walk(args, '', 1, facts, counterpartyKeys, salt, budget)
  facts.shape.sort()
  return facts
}

function walk(
  value: Record<string, unknown>,
  prefix: string,
  depth: number,
  facts: ArgFacts,
  cpKeys: ReadonlySet<string>,
  salt: string,
  budget: { keys: number },
): void {
  for (const key of Object.keys(value)) {
    if (budget.keys-- <= 0) return
    const path = prefix === '' ? key : `${prefix}.${key}`
    const v = value[key]
    const norm = normaliseKey(key)
    if (Array.isArray(v)) {
      facts.shape.push(`${path}[]`)
      const first = v[0]
      if (depth < MAX_DEPTH && typeof first === 'object' && first !== null && !Array.isArray(first)) {
        walk(first as Record<string, unknown>, `${path}[]`, depth + 1, facts, cpKeys, salt, budget)
      }
      continue
    }
    facts.shape.push(path)
    if (typeof v === 'number') {
      if (Number.isFinite(v) && v > 0 && isAmountKey(norm)) facts.amounts.push({ path, value: v })
      if (cpKeys.has(norm)) facts.counterparties.push(hashCounterparty(salt, path, String(v)))
    } else if (typeof v === 'string') {
      if (cpKeys.has(norm) && v !== '') facts.counterparties.push(hashCounterparty(salt, path, v))
    } else if (typeof v === 'object' && v !== null && depth < MAX_DEPTH) {
      walk(v as Record<string, unknown>, path, depth + 1, facts, cpKeys, salt, budget)
    }
  }
}

function hashCounterparty(salt: string, path: string, value: string): string {
  return createHash('sha256').update(salt).update('\u0000').update(path).update('\u0000').update(value.trim().toLowerCase()).digest('hex').slice(0, 24)
}
