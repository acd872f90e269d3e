// Drift settings per tenant (`GET|PUT /drift/settings`): defaults with their reasons, and the one merge
// that validates a PUT body over the current value, naming the field on any problem.

export type DriftMode = 'observe' | 'enforce'

export interface DriftThresholds {
  watch: number
  alert: number
  critical: number
}

export interface DriftSettings {
  /** Off by default: nothing is computed or stored for a tenant until an admin turns it on. */
  enabled: boolean
  /** observe: events only; enforce: auto-lockdown on corroborated critical events. */
  mode: DriftMode
  learning: { min_days: number; min_requests: number }
  thresholds: DriftThresholds
  hysteresis: { enter_evals: number; exit_evals: number }
  /** Sliding window of requests the window features compare with the baseline. */
  window_requests: number
  /** Significance of every tail test (tool mix, counterparty, call rate, denial and review rates). */
  alpha: number
  amount: { z_soft: number; z_hard: number }
  /** Tool-name globs (`*` only) whose calls move money: weightier new-tool signal, and the hard rule. */
  money_tools: string[]
  /** Argument key names (any depth ≤ 3, case and `_` ignored) that name a counterparty. */
  counterparty_keys: string[]
  hard_rules: { amount_and_new_counterparty: boolean }
}

/**
 * Defaults (design notes §C4): learning max(7 days, 200 requests) — Entra ≥ 5 days, Sentinel's 10-day
 * "uncommon" window and the B6 noise table argue against shorter; bands 40/70/85; enter after 2
 * evaluations, leave after 6 (Prometheus `for` / `keep_firing_for`); modified z 3.5 (Iglewicz–Hoaglin)
 * soft and 6 hard; a 50-request window (below it PSI is noise, B6). α is 1e-4, not the notes' 1e-3:
 * every request is an evaluation, and at 1e-3 our seeded steady agents reached `watch` about once per
 * 10,000 decisions (test/drift/steady.test.ts runs the default).
 */
export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  enabled: false,
  mode: 'observe',
  learning: { min_days: 7, min_requests: 200 },
  thresholds: { watch: 40, alert: 70, critical: 85 },
  hysteresis: { enter_evals: 2, exit_evals: 6 },
  window_requests: 50,
  alpha: 0.0001,
  amount: { z_soft: 3.5, z_hard: 6 },
  money_tools: ['*payment*', '*refund*', '*transfer*', '*payout*', '*charge*', 'stripe.*'],
  counterparty_keys: [
    'destination', 'destination_account', 'recipient', 'recipient_email', 'customer', 'customer_id', 'account_id',
    'payee', 'beneficiary', 'iban', 'counterparty', 'vendor_id', 'merchant_id', 'to',
  ],
  hard_rules: { amount_and_new_counterparty: true },
}

type Body = Record<string, unknown>

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function intIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
}

function numIn(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max
}

function stringList(v: unknown, field: string, maxItems: number): string[] | string {
  if (!Array.isArray(v) || v.length > maxItems) return `body.${field}: expected an array of at most ${maxItems} strings`
  for (let i = 0; i < v.length; i++) {
    const s = v[i]
    if (typeof s !== 'string' || s === '' || s.length > 200) return `body.${field}[${i}]: expected a non-empty string of at most 200 characters`
  }
  return [...(v as string[])]
}

const UNKNOWN = (key: string, allowed: readonly string[]): string => `body.${key}: unknown field; expected one of ${allowed.join(', ')}`

function unknownKey(body: Body, allowed: readonly string[], prefix: string): string | null {
  for (const key of Object.keys(body)) if (!allowed.includes(key)) return UNKNOWN(prefix + key, allowed)
  return null
}

const TOP_KEYS = ['enabled', 'mode', 'learning', 'thresholds', 'hysteresis', 'window_requests', 'alpha', 'amount', 'money_tools', 'counterparty_keys', 'hard_rules', 'auto_lockdown', 'threshold'] as const

/**
 * Merge a PUT body over `current`; returns the new settings or a field-named problem. Two older
 * fields stay accepted: `auto_lockdown` (true = enforce, false = observe) and `threshold` in [0, 1]
 * (the alert band as a fraction of 100), so existing automation keeps working.
 */
export function mergeDriftSettings(current: DriftSettings, body: unknown): DriftSettings | string {
  if (!isObject(body)) return 'body: expected a JSON object'
  const bad = unknownKey(body, TOP_KEYS, '')
  if (bad !== null) return bad
  const next: DriftSettings = structuredClone(current)
  if (body.enabled !== undefined) {
    if (typeof body.enabled !== 'boolean') return 'body.enabled: expected a boolean'
    next.enabled = body.enabled
  }
  if (body.auto_lockdown !== undefined) {
    if (typeof body.auto_lockdown !== 'boolean') return 'body.auto_lockdown: expected a boolean'
    next.mode = body.auto_lockdown ? 'enforce' : 'observe'
  }
  if (body.mode !== undefined) {
    if (body.mode !== 'observe' && body.mode !== 'enforce') return 'body.mode: expected "observe" or "enforce"'
    next.mode = body.mode
  }
  if (body.threshold !== undefined) {
    if (!numIn(body.threshold, 0, 1)) return 'body.threshold: expected a number in [0, 1] (the alert band / 100)'
    // The older single threshold becomes the alert band, kept between watch and critical.
    const t = next.thresholds
    t.alert = Math.min(99, Math.max(t.watch + 1, Math.round(body.threshold * 100)))
    t.critical = Math.max(t.critical, t.alert + 1)
  }
  const sections: Array<[keyof DriftSettings & string, readonly string[], (k: string, v: unknown) => string | null]> = [
    ['learning', ['min_days', 'min_requests'], (k, v) => {
      if (k === 'min_days' ? !numIn(v, 0, 365) : !intIn(v, 1, 1_000_000)) return k === 'min_days' ? 'a number of days in [0, 365]' : 'an integer in [1, 1000000]'
      next.learning[k as 'min_days'] = v as number
      return null
    }],
    ['thresholds', ['watch', 'alert', 'critical'], (k, v) => {
      if (!intIn(v, 1, 100)) return 'an integer in [1, 100]'
      next.thresholds[k as 'watch'] = v as number
      return null
    }],
    ['hysteresis', ['enter_evals', 'exit_evals'], (k, v) => {
      if (!intIn(v, 1, 100)) return 'an integer in [1, 100]'
      next.hysteresis[k as 'enter_evals'] = v as number
      return null
    }],
    ['amount', ['z_soft', 'z_hard'], (k, v) => {
      if (!numIn(v, 1, 100)) return 'a number in [1, 100]'
      next.amount[k as 'z_soft'] = v as number
      return null
    }],
    ['hard_rules', ['amount_and_new_counterparty'], (_k, v) => {
      if (typeof v !== 'boolean') return 'a boolean'
      next.hard_rules.amount_and_new_counterparty = v
      return null
    }],
  ]
  for (const [name, keys, apply] of sections) {
    const section = body[name]
    if (section === undefined) continue
    if (!isObject(section)) return `body.${name}: expected an object`
    const unknown = unknownKey(section, keys, `${name}.`)
    if (unknown !== null) return unknown
    for (const [k, v] of Object.entries(section)) {
      const problem = apply(k, v)
      if (problem !== null) return `body.${name}.${k}: expected ${problem}`
    }
  }
  if (body.window_requests !== undefined) {
    if (!intIn(body.window_requests, 20, 1000)) return 'body.window_requests: expected an integer in [20, 1000]'
    next.window_requests = body.window_requests
  }
  if (body.alpha !== undefined) {
    if (!numIn(body.alpha, 1e-9, 0.05)) return 'body.alpha: expected a number in [1e-9, 0.05]'
    next.alpha = body.alpha
  }
  for (const field of ['money_tools', 'counterparty_keys'] as const) {
    if (body[field] === undefined) continue
    const list = stringList(body[field], field, 200)
    if (typeof list === 'string') return list
    next[field] = list
  }
  const t = next.thresholds
  if (!(t.watch < t.alert && t.alert < t.critical)) return 'body.thresholds: expected watch < alert < critical'
  if (next.amount.z_soft >= next.amount.z_hard) return 'body.amount: expected z_soft < z_hard'
  return next
}

/** Stored JSON over the defaults (a stored value from an older version may lack newer fields). */
export function driftSettingsFrom(raw: string | null): DriftSettings {
  if (raw === null) return DEFAULT_DRIFT_SETTINGS
  const stored = JSON.parse(raw) as unknown
  const merged = mergeDriftSettings(DEFAULT_DRIFT_SETTINGS, stored)
  if (typeof merged !== 'string') return merged
  // Only values written by a PUT are stored, so this is a value from another version: keep the
  // switches (enabled, mode) rather than silently turning drift off, and the defaults for the rest.
  const s = stored as Record<string, unknown>
  const switches = mergeDriftSettings(DEFAULT_DRIFT_SETTINGS, { enabled: s.enabled, mode: s.mode })
  return typeof switches === 'string' ? DEFAULT_DRIFT_SETTINGS : switches
}

/** `*` globs, compiled once per settings value into anchored tests on the lowercased tool name. */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  const parts = patterns.map((p) => p.toLowerCase().split('*'))
  return function matchesGlob(name: string): boolean {
    const s = name.toLowerCase()
    for (const segs of parts) if (globMatch(s, segs)) return true
    return false
  }
}

function globMatch(s: string, segs: readonly string[]): boolean {
  if (segs.length === 1) return s === segs[0]
  if (!s.startsWith(segs[0]!)) return false
  let at = segs[0]!.length
  for (let i = 1; i < segs.length - 1; i++) {
    const found = s.indexOf(segs[i]!, at)
    if (found < 0) return false
    at = found + segs[i]!.length
  }
  const last = segs[segs.length - 1]!
  return s.length - last.length >= at && s.endsWith(last)
}
