// The control judgements on hostile evidence (pure): each control turns its rule break into a
// numbered exception with the ledger seq; the sample is reproducible and independent of row order;
// the CSV neutralises spreadsheet formulas in caller-chosen text.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateControls, renderCsv, selectSample } from '../../src/reports/index.ts'
import type { ControlEvidence } from '../../src/reports/index.ts'

type Row = ControlEvidence['rows'][number]

function row(seq: number, over: Partial<Row> = {}): Row {
  return { seq, requestId: `req-${seq}`, eventType: 'clearance', toolName: 'pay', agentId: 'a1', policyId: 'p1', decisionStatus: 'approved', approved: true, acceptedAtMs: 1000 * seq, leafHash: 'ab', leafIndex: seq - 1, checkpointId: 1, receiptKid: 'k1', ...over }
}

function evidence(over: Partial<ControlEvidence> = {}): ControlEvidence {
  const rows = [row(1), row(2), row(3, { eventType: 'review' })]
  return {
    rows, decisions: rows.map((r) => ({ row: r, clearance: null, token: 'consumed' as const })), reviews: [], governance: [],
    integrityIntact: true, integrityError: null, anchorCovers: true, reconciliations: [{ name: 'tokens_add_up', equation: 'x', ok: true }], seqContiguous: true,
    signingKeys: [{ kid: 'k1', publicX: '', activeFromMs: 0, retiredAtMs: null, revokedAtMs: null, source: 'file' }], apiKeys: [], privileged: [],
    knownPolicyIds: new Set(['p1']), configChanges: [], locks: [], ...over,
  }
}

test('clean evidence: every control effective or not applicable, no exception', () => {
  const { controls, exceptions } = evaluateControls(evidence())
  assert.equal(controls.length, 13)
  assert.deepEqual(exceptions, [])
  assert.ok(controls.every((c) => c.result !== 'exception'))
})

test('each broken rule becomes an exception naming its control and ledger seq', () => {
  const review = { requestId: 'req-3', seq: 3, agentId: 'a1', toolName: 'pay', outcome: 'approved', reviewer: 'agent:bot', channel: 'api' as const, role: 'agent', reason: '', requestedAtMs: 0, decidedAtMs: 5000, latencyMs: 5000, expiresAtMs: 4000 }
  const { controls, exceptions } = evaluateControls(evidence({
    integrityIntact: false, integrityError: 'leaf 2 mismatch', seqContiguous: false, anchorCovers: false,
    signingKeys: [{ kid: 'k1', publicX: '', activeFromMs: 0, retiredAtMs: null, revokedAtMs: 1500, source: 'file' }],
    apiKeys: [{ keyId: 'key1' as never, tenantId: 't' as never, keyHash: '', prefix: 'lgx_ab', role: 'admin', name: 'old', createdAtMs: 0, revokedAtMs: 10, lastUsedAtMs: 20 }],
    privileged: [{ seq: 9, requestId: 'dre_1', actor: ' ', what: 'drift.release' }],
    knownPolicyIds: new Set(),
    configChanges: [{ name: 'settings review', ledgered: false }],
    reconciliations: [{ name: 'tokens_add_up', equation: '3 = 1 + 0 + 0', ok: false }],
    reviews: [review],
    locks: [{ agentId: 'a1', fromMs: 1500, toMs: 2500 }],
  }))
  const by = (id: string): string[] => exceptions.filter((e) => e.control === id).map((e) => `${e.ledger_seq}`)
  assert.deepEqual(by('VA-OP-01'), ['null'])
  assert.deepEqual(by('VA-OP-02'), ['null', 'null'], 'gap and the failed reconciliation')
  assert.deepEqual(by('VA-OP-03'), ['null'])
  assert.deepEqual(by('VA-OP-04'), ['2', '3'], 'receipts signed after the key was revoked')
  assert.equal(by('VA-AC-01').length, 1)
  assert.deepEqual(by('VA-AC-02'), ['9'])
  assert.deepEqual(by('VA-CM-01'), ['1', '2', '3'])
  assert.equal(by('VA-CM-02').length, 1)
  assert.equal(by('VA-AP-01').length, 1)
  assert.deepEqual(by('VA-AP-03'), ['3'])
  assert.deepEqual(by('VA-AP-04'), ['3'])
  assert.deepEqual(by('VA-AP-05'), ['2'], 'only the approval inside the lock interval')
  assert.deepEqual(exceptions.map((e) => e.id).slice(0, 3), ['exc_001', 'exc_002', 'exc_003'])
  assert.equal(controls.find((c) => c.id === 'VA-AC-03')?.result, 'effective', 'a listing has no exception rule')
})

test('sample: same seed → same picks whatever the row order; another seed → another sample; sorted by seq', () => {
  const items = Array.from({ length: 200 }, (_, i) => ({ row: { requestId: `r${i}`, seq: i + 1 } }))
  const a = selectSample(items, 'seed-1', 25)
  const b = selectSample([...items].reverse(), 'seed-1', 25)
  assert.deepEqual(a.map((x) => x.row.seq), b.map((x) => x.row.seq))
  assert.notDeepEqual(selectSample(items, 'seed-2', 25).map((x) => x.row.seq), a.map((x) => x.row.seq))
  assert.deepEqual(a.map((x) => x.row.seq), [...a.map((x) => x.row.seq)].sort((x, y) => x - y))
  assert.equal(selectSample(items.slice(0, 3), 's', 25).length, 3)
})

test('CSV: quoted fields, formula-looking caller text prefixed so spreadsheets do not run it', () => {
  const csv = Buffer.from(renderCsv([{ ...row(1, { agentId: '=HYPERLINK("http://x")', toolName: 'a,b' }), token: 'consumed' }])).toString('utf8').split('\r\n')
  assert.equal(csv[1], `1,req-1,1970-01-01T00:00:01.000Z,clearance,"a,b","'=HYPERLINK(""http://x"")",p1,approved,true,consumed,0,ab`)
})
