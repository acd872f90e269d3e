// Ledger: entries and checkpoints, and "Verify in this browser": the proof bundle and the JWKS are
// fetched separately, the JWKS is pinned, and the project's own verifier runs here, listing every
// step with ✓ or ✗. The bundle is editable before verifying, so anyone can watch a tampered one fail.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get } from '../lib/api.ts'
import { hrefOf } from '../lib/router.ts'
import { verifyInBrowser } from '../lib/verify.ts'
import type { BrowserVerification } from '../lib/verify.ts'
import { ErrorNote, Field, fmtTime, Loading, PageHeading } from '../components.tsx'

interface Entry {
  request_id: string
  leaf_index: number | null
  agent_id?: string
  tool_name?: string
  approved?: boolean
  accepted_at?: string
}

interface Checkpoint {
  checkpoint_id: number
  tree_size: number
  root_hash: string
  signed_at: string
  signer_key_id: string
}

function Verifier({ requestId }: { requestId: string }) {
  const [bundleText, setBundleText] = useState<string | null>(null)
  const [jwks, setJwks] = useState<unknown>(null)
  const [result, setResult] = useState<BrowserVerification | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    setResult(null)
    Promise.all([get<unknown>(`/ledger/proof/bundle?request_id=${encodeURIComponent(requestId)}`), get<unknown>('/.well-known/jwks.json')]).then(
      ([b, k]) => { setBundleText(JSON.stringify(b, null, 2)); setJwks(k) },
      (err: unknown) => setError(errorText(err)),
    )
  }, [requestId])
  function run(e: Event) {
    e.preventDefault()
    let bundle: unknown
    try {
      bundle = JSON.parse(bundleText ?? '')
    } catch (err) {
      return setError(`The bundle is not JSON: ${(err as Error).message}`)
    }
    setError(null)
    setResult(verifyInBrowser(bundle, jwks))
  }
  function download() {
    const url = URL.createObjectURL(new Blob([bundleText ?? ''], { type: 'application/json' }))
    const a = document.createElement('a')
    a.href = url
    a.download = `proof-bundle-${requestId}.json`
    a.click()
    setTimeout(() => URL.revokeObjectURL(url), 1000)
  }
  return (
    <section class="card" aria-labelledby="verify-title">
      <h2 id="verify-title">Proof bundle of <code>{requestId}</code></h2>
      <ErrorNote error={error} />
      {bundleText === null && error === null && <Loading what="the bundle and the keys" />}
      {bundleText !== null && (
        <form onSubmit={run}>
          <p class="muted">Checked against the keys of <code>/.well-known/jwks.json</code>, fetched on their own; keys inside the bundle count only if they match. Edit the bundle to see a tampered one fail.</p>
          <Field label="Bundle (JSON)"><textarea id="bundle-text" class="code" rows={10} spellcheck={false} value={bundleText} onInput={(e) => setBundleText(e.currentTarget.value)} /></Field>
          <div class="actions">
            <button type="submit" class="primary">Verify in this browser</button>
            <button type="button" onClick={download}>Download bundle</button>
          </div>
          <p class="muted">Offline: <code>ledgix-gateway ledger verify-bundle proof-bundle-{requestId}.json --jwks jwks.json</code></p>
        </form>
      )}
      {result !== null && (
        <div role="status" aria-labelledby="verify-result">
          <h3 id="verify-result" class={result.intact ? 'ok' : 'bad'}>
            {result.intact ? '✓ The bundle verifies: this entry is in the signed ledger.' : `✗ Verification failed at: ${result.failedStep ?? 'unknown step'}`}
          </h3>
          <ol class="steps">
            {result.steps.map((s, i) => (
              <li key={i} class={`step step-${s.status}`} data-step={s.step}>
                <span class="mark" aria-hidden="true">{s.mark}</span>{' '}
                <strong>{s.label}</strong><span class="sr-only">{s.status === 'ok' ? ' passed' : s.status === 'fail' ? ' failed' : ' skipped'}</span>: {s.message}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  )
}

export function LedgerPage({ requestId }: { requestId: string | null }) {
  const [entries, setEntries] = useState<Entry[] | null>(null)
  const [checkpoints, setCheckpoints] = useState<Checkpoint[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  useEffect(() => {
    get<{ entries: Entry[] }>('/ledger?limit=50').then((b) => setEntries(b.entries), (err: unknown) => setError(errorText(err)))
    get<{ checkpoints: Checkpoint[] }>('/ledger/checkpoints?limit=10').then((b) => setCheckpoints(b.checkpoints), (err: unknown) => setError(errorText(err)))
  }, [])
  return (
    <>
      <PageHeading title="Ledger" />
      <ErrorNote error={error} />
      {requestId !== null && <Verifier requestId={requestId} />}
      <section aria-labelledby="entries-title">
        <h2 id="entries-title">Entries</h2>
        {entries === null && error === null && <Loading what="entries" />}
        {entries !== null && entries.length === 0 && <p class="empty">No entries yet.</p>}
        {entries !== null && entries.length > 0 && (
          <table>
            <thead><tr><th scope="col">Request</th><th scope="col">Accepted</th><th scope="col">Agent</th><th scope="col">Tool</th><th scope="col">Decision</th><th scope="col">Leaf</th><th scope="col">Proof</th></tr></thead>
            <tbody>
              {entries.map((e) => (
                <tr key={e.request_id + String(e.leaf_index)}>
                  <td><code>{e.request_id}</code></td><td>{fmtTime(e.accepted_at)}</td><td>{e.agent_id ?? '—'}</td><td>{e.tool_name ?? '—'}</td>
                  <td>{e.approved === undefined ? '—' : e.approved ? 'approved' : 'denied'}</td><td>{e.leaf_index ?? 'unsealed'}</td>
                  <td>{e.leaf_index !== null && <a href={hrefOf('ledger', e.request_id)}>verify</a>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section aria-labelledby="cp-title">
        <h2 id="cp-title">Checkpoints</h2>
        {checkpoints !== null && checkpoints.length > 0 && (
          <table>
            <thead><tr><th scope="col">Id</th><th scope="col">Tree size</th><th scope="col">Root</th><th scope="col">Signed</th><th scope="col">Key</th></tr></thead>
            <tbody>{checkpoints.map((c) => <tr key={c.checkpoint_id}><td>{c.checkpoint_id}</td><td class="num">{c.tree_size}</td><td><code class="hash">{c.root_hash}</code></td><td>{fmtTime(c.signed_at)}</td><td>{c.signer_key_id}</td></tr>)}</tbody>
          </table>
        )}
        {checkpoints !== null && checkpoints.length === 0 && <p class="empty">No checkpoints yet.</p>}
      </section>
    </>
  )
}
