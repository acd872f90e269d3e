// The harness's /metrics reader (bench/lib/metrics-text.ts): the bench rows' notes (store write
// path, JWKS refreshes, V8 memory) are only as true as the samples it picks out.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sampleValue } from '../../bench/lib/metrics-text.ts'
import { GatewayMetrics } from '../../src/observability/index.ts'

const PAGE = [
  '# HELP ledgix_jwks_refresh_total JWKS fetches.',
  '# TYPE ledgix_jwks_refresh_total counter',
  'ledgix_jwks_refresh_total{trigger="interval",result="ok"} 7',
  'ledgix_jwks_refresh_total{trigger="kid_miss",result="suppressed"} 359807',
  'ledgix_jwks_refresh_total{trigger="kid_miss",result="ok"} 3',
  'nodejs_heap_size_used_bytes 18253824',
  'nodejs_external_memory_bytes 4.1e6',
  'ledgix_store_commits 1',
  '',
].join('\n')

test('sampleValue picks the sample with every given label, unlabelled samples by name, never a longer name', () => {
  assert.equal(sampleValue(PAGE, 'ledgix_jwks_refresh_total', { trigger: 'kid_miss', result: 'ok' }), 3)
  assert.equal(sampleValue(PAGE, 'ledgix_jwks_refresh_total', { trigger: 'kid_miss', result: 'suppressed' }), 359807)
  assert.equal(sampleValue(PAGE, 'ledgix_jwks_refresh_total', { trigger: 'kid_miss', result: 'error' }), null)
  assert.equal(sampleValue(PAGE, 'ledgix_jwks_refresh_total'), 7, 'no labels asked: the first sample')
  assert.equal(sampleValue(PAGE, 'nodejs_heap_size_used_bytes'), 18253824)
  assert.equal(sampleValue(PAGE, 'nodejs_external_memory_bytes'), 4.1e6)
  assert.equal(sampleValue(PAGE, 'ledgix_store'), null, 'a prefix of a name is not the name')
  assert.equal(sampleValue(PAGE, 'ledgix_store_commits_total'), null)
})

test('sampleValue reads the store write-path counters as GatewayMetrics renders them', async () => {
  const metrics = new GatewayMetrics()
  metrics.setWritePathSource(() => ({ commits: 12, writes: 190, deferredSyncs: 11, failed: false }))
  const text = await metrics.render()
  assert.equal(sampleValue(text, 'ledgix_store_commits_total'), 12)
  assert.equal(sampleValue(text, 'ledgix_store_writes_total'), 190)
  assert.equal(sampleValue(text, 'ledgix_store_deferred_syncs_total'), 11)
  assert.equal(sampleValue(text, 'ledgix_store_failed'), 0)
})
