// Policies: versions (hash, author, active), upload YAML/JSON with the server's line/column errors
// (POST /policies/validate), a server-computed diff between versions, and a dry-run of sample args.
import { useEffect, useState } from 'preact/hooks'
import { get, post } from '../lib/api.ts'
import { ErrorNote, Field, fmtTime, Json, Loading, OkNote, PageHeading, useAction } from '../components.tsx'
import { policyDiffLines } from '../lib/diff.ts'
import type { PolicyDiffLine, PolicyHunk } from '../lib/diff.ts'

interface PolicyVersion {
  version: string
  policy_id?: string
  content_hash?: string
  author?: string | null
  author_key_id?: string | null
  created_at?: string
  active?: boolean
}

interface ValidateResult {
  ok: boolean
  errors: { line: number; column: number; path?: string; message: string }[]
  /** On success: the normalized document, ready for POST /register-policy. */
  document?: unknown
}

interface DryRun {
  decision: string
  reason: string
  applies?: boolean
  fired: { rule: string; kind?: string; effect: string | null; matched: boolean | null; when?: string; text?: string; error?: string }[]
}

interface DiffAnswer {
  identical?: boolean
  hunks: PolicyHunk[]
}

function versionLabel(v: PolicyVersion): string {
  return `${v.policy_id ?? 'policy'} · ${fmtTime(v.created_at)}${v.active === true ? ' (active)' : ''}`
}

export function PoliciesPage() {
  const [versions, setVersions] = useState<PolicyVersion[] | null>(null)
  const [content, setContent] = useState('')
  const [format, setFormat] = useState<'yaml' | 'json'>('yaml')
  const [validation, setValidation] = useState<ValidateResult | null>(null)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [diff, setDiff] = useState<PolicyDiffLine[] | null>(null)
  const [dryVersion, setDryVersion] = useState('')
  const [useDraft, setUseDraft] = useState(false)
  const [tool, setTool] = useState('')
  const [args, setArgs] = useState('{}')
  const [agent, setAgent] = useState('')
  const [dry, setDry] = useState<DryRun | null>(null)
  const act = useAction()
  const dryAct = useAction()

  const load = () => get<{ policies?: PolicyVersion[]; versions?: PolicyVersion[] }>('/policies').then((b) => setVersions(b.versions ?? b.policies ?? []), act.fail)
  useEffect(() => void load(), [])

  const validate = act.submit(async () => {
    const r = await post<ValidateResult>('/policies/validate', { content, format })
    setValidation(r)
    if (r.ok) {
      // The server parsed it (YAML or JSON) and answers the normalized document: register that.
      await post('/register-policy', r.document ?? (JSON.parse(content) as unknown))
      await load()
      return 'The policy is valid and was uploaded.'
    }
    return undefined
  })
  async function loadFile(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0]
    if (file === undefined) return
    setContent(await file.text())
    setFormat(file.name.endsWith('.json') ? 'json' : 'yaml')
  }
  const showDiff = act.submit(async () => {
    setDiff(null)
    const d = await get<DiffAnswer>(`/policies/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)
    setDiff(policyDiffLines(d.hunks))
  })
  const dryRun = dryAct.submit(async () => {
    let parsed: unknown
    try {
      parsed = JSON.parse(args)
    } catch (err) {
      throw new Error(`The arguments are not JSON: ${(err as Error).message}`)
    }
    const body: Record<string, unknown> = { tool_name: tool, tool_args: parsed }
    if (agent !== '') body['agent_id'] = agent
    if (useDraft) {
      body['content'] = content
      body['format'] = format
    } else {
      const version = dryVersion !== '' ? dryVersion : versions?.find((v) => v.active === true)?.version
      if (version === undefined) throw new Error('Choose a version, or run against the text in the upload box.')
      body['version'] = version
    }
    setDry(await post<DryRun>('/policies/dry-run', body))
  })

  return (
    <>
      <PageHeading title="Policies" />
      <ErrorNote error={act.error} />
      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions === null && act.error === null && <Loading what="policy versions" />}
        {versions !== null && versions.length === 0 && <p class="empty">No uploaded versions.</p>}
        {versions !== null && versions.length > 0 && (
          <table>
            <thead><tr><th scope="col">Policy</th><th scope="col">Version</th><th scope="col">Content hash</th><th scope="col">Author</th><th scope="col">Created</th><th scope="col">Active</th></tr></thead>
            <tbody>{versions.map((v) => <tr key={v.version}><td>{v.policy_id ?? '—'}</td><td><code>{v.version}</code></td><td><code class="hash">{v.content_hash ?? '—'}</code></td><td>{v.author ?? v.author_key_id ?? '—'}</td><td>{fmtTime(v.created_at)}</td><td>{v.active === true ? 'active' : ''}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <form class="card" onSubmit={validate} aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a policy</h2>
        <Field label="File (YAML or JSON)"><input type="file" accept=".yaml,.yml,.json" onChange={(e) => void loadFile(e)} /></Field>
        <Field label="Format">
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value === 'json' ? 'json' : 'yaml')}><option value="yaml">YAML</option><option value="json">JSON</option></select>
        </Field>
        <Field label="Policy text"><textarea class="code" rows={12} spellcheck={false} value={content} onInput={(e) => setContent(e.currentTarget.value)} /></Field>
        {validation !== null && !validation.ok && (
          <div class="note note-error" role="alert">
            <p>The server found {validation.errors.length} problem(s):</p>
            <ul>{validation.errors.map((er, i) => <li key={i}>line {er.line}, column {er.column}: {er.path !== undefined && er.path !== '' ? `${er.path}: ` : ''}{er.message}</li>)}</ul>
          </div>
        )}
        <OkNote text={act.ok} />
        <button type="submit" class="primary">Validate and upload</button>
      </form>
      <form class="card inline-form" onSubmit={showDiff} aria-labelledby="diff-title">
        <h2 id="diff-title">Compare versions</h2>
        <Field label="From version">
          <select value={from} required onChange={(e) => setFrom(e.currentTarget.value)}><option value="">(choose)</option>{(versions ?? []).map((v) => <option key={v.version} value={v.version}>{versionLabel(v)}</option>)}</select>
        </Field>
        <Field label="To version">
          <select value={to} required onChange={(e) => setTo(e.currentTarget.value)}><option value="">(choose)</option>{(versions ?? []).map((v) => <option key={v.version} value={v.version}>{versionLabel(v)}</option>)}</select>
        </Field>
        <button type="submit">Show diff</button>
        {diff !== null && diff.length === 0 && <p role="status">The two versions are identical.</p>}
        {diff !== null && diff.length > 0 && (
          <pre class="policy-diff" role="region" aria-label="Policy diff" tabIndex={0}>
            {diff.map((l, i) => <span key={i} class={`dl dl-${l.kind}`}>{l.text}</span>)}
          </pre>
        )}
      </form>
      <form class="card" onSubmit={dryRun} aria-labelledby="dry-title">
        <h2 id="dry-title">Dry-run</h2>
        <p class="muted">Evaluates sample arguments with the real engine: nothing is stored, ledgered or sent to a judge.</p>
        <Field label="Version">
          <select value={dryVersion} disabled={useDraft} onChange={(e) => setDryVersion(e.currentTarget.value)}>
            <option value="">(the active version)</option>
            {(versions ?? []).map((v) => <option key={v.version} value={v.version}>{versionLabel(v)}</option>)}
          </select>
        </Field>
        <label class="choice"><input type="checkbox" checked={useDraft} onChange={(e) => setUseDraft(e.currentTarget.checked)} /> Use the text in the upload box instead</label>
        <Field label="Tool name"><input required value={tool} onInput={(e) => setTool(e.currentTarget.value)} /></Field>
        <Field label="Agent id (optional)"><input value={agent} onInput={(e) => setAgent(e.currentTarget.value)} /></Field>
        <Field label="Tool arguments (JSON)"><textarea class="code" rows={6} spellcheck={false} value={args} onInput={(e) => setArgs(e.currentTarget.value)} /></Field>
        <ErrorNote error={dryAct.error} />
        <button type="submit">Run</button>
        {dry !== null && (
          <div role="status">
            <p>Decision: <strong>{dry.decision}</strong> — {dry.reason}{dry.applies === false ? ' (this policy does not cover the tool)' : ''}</p>
            <table>
              <thead><tr><th scope="col">Rule</th><th scope="col">Condition</th><th scope="col">Effect</th><th scope="col">Matched</th></tr></thead>
              <tbody>{dry.fired.map((f) => (
                <tr key={f.rule} class={f.matched === true ? 'fired' : ''}>
                  <td>{f.rule}</td><td><code>{f.when ?? f.text ?? ''}</code>{f.error !== undefined && <span class="bad"> error: {f.error}</span>}</td>
                  <td>{f.effect ?? '—'}</td><td>{f.matched === null ? 'not evaluated' : f.matched ? 'yes' : 'no'}</td>
                </tr>
              ))}</tbody>
            </table>
            <details><summary>Raw answer</summary><Json value={dry} /></details>
          </div>
        )}
      </form>
    </>
  )
}
