// Policies: versions (hash, author, active), upload YAML/JSON with the server's line/column errors
// (POST /policies/validate), a server-computed diff between versions, and a dry-run of sample args.
import { useEffect, useState } from 'preact/hooks'
import { errorText, get, post } from '../lib/api.ts'
import { ErrorNote, fmtTime, Json, Loading, OkNote, PageHeading } from '../components.tsx'

interface PolicyVersion {
  version: string | number
  content_hash?: string
  author?: string
  created_at?: string
  active?: boolean
}

interface ValidateResult {
  ok: boolean
  errors: { line: number; column: number; message: string }[]
}

interface DryRun {
  decision: string
  fired: { rule: string; effect: string; matched: boolean }[]
  reason: string
}

function hunksText(body: unknown): string {
  const hunks = (body as { hunks?: unknown }).hunks
  if (Array.isArray(hunks)) {
    return hunks.map((h) => (typeof h === 'string' ? h : typeof h === 'object' && h !== null && Array.isArray((h as { lines?: unknown }).lines) ? ((h as { header?: string }).header ?? '') + '\n' + ((h as { lines: unknown[] }).lines.map(String).join('\n')) : JSON.stringify(h))).join('\n')
  }
  return typeof (body as { diff?: unknown }).diff === 'string' ? (body as { diff: string }).diff : JSON.stringify(body, null, 2)
}

export function PoliciesPage() {
  const [versions, setVersions] = useState<PolicyVersion[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [content, setContent] = useState('')
  const [format, setFormat] = useState<'yaml' | 'json'>('yaml')
  const [validation, setValidation] = useState<ValidateResult | null>(null)
  const [uploaded, setUploaded] = useState<string | null>(null)
  const [from, setFrom] = useState('')
  const [to, setTo] = useState('')
  const [diff, setDiff] = useState<string | null>(null)
  const [tool, setTool] = useState('')
  const [args, setArgs] = useState('{}')
  const [agent, setAgent] = useState('')
  const [dry, setDry] = useState<DryRun | null>(null)
  const [dryError, setDryError] = useState<string | null>(null)

  const load = () => get<{ policies?: PolicyVersion[]; versions?: PolicyVersion[] }>('/policies').then((b) => setVersions(b.versions ?? b.policies ?? []), (err: unknown) => setError(errorText(err)))
  useEffect(() => void load(), [])

  async function validate(e: Event) {
    e.preventDefault()
    setUploaded(null)
    try {
      const r = await post<ValidateResult>('/policies/validate', { content, format })
      setValidation(r)
      if (r.ok) {
        // The contract names no upload endpoint: JSON goes to the existing POST /register-policy;
        // YAML to POST /policies { content, format } where the server offers it.
        if (format === 'json') await post('/register-policy', JSON.parse(content) as unknown)
        else await post('/policies', { content, format })
        setUploaded('The policy is valid and was uploaded.')
        await load()
      }
    } catch (err) {
      setError(errorText(err))
    }
  }
  async function loadFile(e: Event) {
    const file = (e.currentTarget as HTMLInputElement).files?.[0]
    if (file === undefined) return
    setContent(await file.text())
    setFormat(file.name.endsWith('.json') ? 'json' : 'yaml')
  }
  async function showDiff(e: Event) {
    e.preventDefault()
    try {
      setDiff(hunksText(await get<unknown>(`/policies/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`)))
    } catch (err) {
      setDiff(null)
      setError(errorText(err))
    }
  }
  async function dryRun(e: Event) {
    e.preventDefault()
    setDryError(null)
    let parsed: unknown
    try {
      parsed = JSON.parse(args)
    } catch (err) {
      return setDryError(`The arguments are not JSON: ${(err as Error).message}`)
    }
    try {
      const body: Record<string, unknown> = { tool_name: tool, tool_args: parsed }
      if (agent !== '') body['agent_id'] = agent
      if (content.trim() !== '') body['content'] = content
      setDry(await post<DryRun>('/policies/dry-run', body))
    } catch (err) {
      setDryError(errorText(err))
    }
  }

  return (
    <>
      <PageHeading title="Policies" />
      <ErrorNote error={error} />
      <section aria-labelledby="versions-title">
        <h2 id="versions-title">Versions</h2>
        {versions === null && error === null && <Loading what="policy versions" />}
        {versions !== null && versions.length === 0 && <p class="empty">No uploaded versions.</p>}
        {versions !== null && versions.length > 0 && (
          <table>
            <thead><tr><th scope="col">Version</th><th scope="col">Content hash</th><th scope="col">Author</th><th scope="col">Created</th><th scope="col">Active</th></tr></thead>
            <tbody>{versions.map((v) => <tr key={String(v.version)}><td>{String(v.version)}</td><td><code class="hash">{v.content_hash ?? '—'}</code></td><td>{v.author ?? '—'}</td><td>{fmtTime(v.created_at)}</td><td>{v.active === true ? 'active' : ''}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <form class="card" onSubmit={(e) => void validate(e)} aria-labelledby="upload-title">
        <h2 id="upload-title">Upload a policy</h2>
        <label class="field"><span>File (YAML or JSON)</span><input type="file" accept=".yaml,.yml,.json" onChange={(e) => void loadFile(e)} /></label>
        <label class="field"><span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.currentTarget.value === 'json' ? 'json' : 'yaml')}><option value="yaml">YAML</option><option value="json">JSON</option></select>
        </label>
        <label class="field"><span>Policy text</span><textarea class="code" rows={12} spellcheck={false} value={content} onInput={(e) => setContent(e.currentTarget.value)} /></label>
        {validation !== null && !validation.ok && (
          <div class="note note-error" role="alert">
            <p>The server found {validation.errors.length} problem(s):</p>
            <ul>{validation.errors.map((er, i) => <li key={i}>line {er.line}, column {er.column}: {er.message}</li>)}</ul>
          </div>
        )}
        <OkNote text={uploaded} />
        <button type="submit" class="primary">Validate and upload</button>
      </form>
      <form class="card inline-form" onSubmit={(e) => void showDiff(e)} aria-labelledby="diff-title">
        <h2 id="diff-title">Compare versions</h2>
        <label class="field"><span>From version</span><input value={from} onInput={(e) => setFrom(e.currentTarget.value)} required /></label>
        <label class="field"><span>To version</span><input value={to} onInput={(e) => setTo(e.currentTarget.value)} required /></label>
        <button type="submit">Show diff</button>
        {diff !== null && <pre class="json">{diff}</pre>}
      </form>
      <form class="card" onSubmit={(e) => void dryRun(e)} aria-labelledby="dry-title">
        <h2 id="dry-title">Dry-run</h2>
        <p class="muted">Evaluates against the policy text above when there is any, else the active version.</p>
        <label class="field"><span>Tool name</span><input required value={tool} onInput={(e) => setTool(e.currentTarget.value)} /></label>
        <label class="field"><span>Agent id (optional)</span><input value={agent} onInput={(e) => setAgent(e.currentTarget.value)} /></label>
        <label class="field"><span>Tool arguments (JSON)</span><textarea class="code" rows={6} spellcheck={false} value={args} onInput={(e) => setArgs(e.currentTarget.value)} /></label>
        <ErrorNote error={dryError} />
        <button type="submit">Run</button>
        {dry !== null && (
          <div role="status">
            <p>Decision: <strong>{dry.decision}</strong> — {dry.reason}</p>
            <table>
              <thead><tr><th scope="col">Rule</th><th scope="col">Effect</th><th scope="col">Matched</th></tr></thead>
              <tbody>{dry.fired.map((f) => <tr key={f.rule}><td>{f.rule}</td><td>{f.effect}</td><td>{f.matched ? 'yes' : 'no'}</td></tr>)}</tbody>
            </table>
            <details><summary>Raw answer</summary><Json value={dry} /></details>
          </div>
        )}
      </form>
    </>
  )
}
