// Drift settings (`PUT /drift/settings`): every field validated and named on error, the GET body
// round-trips, the pre-issue-19 fields still work, and a stored value never silently turns drift off.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_DRIFT_SETTINGS as D, driftSettingsFrom, mergeDriftSettings } from '../../src/drift/index.ts'

test('drift settings: PUT bodies validated field by field; older fields mapped; a stored value never silently turns drift off', () => {
  assert.match(String(mergeDriftSettings(D, { thresholds: { watch: 80, alert: 70 } })), /watch < alert < critical/)
  assert.match(String(mergeDriftSettings(D, { learning: { min_days: -1 } })), /body\.learning\.min_days/)
  assert.match(String(mergeDriftSettings(D, { colour: 'red' })), /body\.colour: unknown field/)
  assert.match(String(mergeDriftSettings(D, { hysteresis: { enter: 2 } })), /body\.hysteresis\.enter: unknown field/)
  assert.match(String(mergeDriftSettings(D, { money_tools: ['ok', ''] })), /body\.money_tools\[1\]/)
  assert.match(String(mergeDriftSettings(D, [])), /expected a JSON object/)
  const full = mergeDriftSettings(D, { enabled: true, mode: 'enforce' })
  assert.ok(typeof full !== 'string')
  assert.deepEqual(mergeDriftSettings(D, full), full, 'the GET body PUT back is the same settings')
  const legacy = mergeDriftSettings(D, { enabled: true, auto_lockdown: true, threshold: 0.9 })
  assert.ok(typeof legacy !== 'string')
  assert.equal(legacy.mode, 'enforce')
  assert.deepEqual(legacy.thresholds, { watch: 40, alert: 90, critical: 91 })
  // An older stored value (the pre-issue-19 shape) keeps drift on.
  assert.equal(driftSettingsFrom(JSON.stringify({ enabled: true, auto_lockdown: false, threshold: 0.8 })).enabled, true)
  assert.equal(driftSettingsFrom(JSON.stringify({ enabled: true, mode: 'enforce', window_requests: 5 })).enabled, true, 'an invalid field falls back, the switches stay')
  assert.equal(driftSettingsFrom(null).enabled, false)
})
