// Rendering the server-computed diff against the last approved call (GET /reviews/{id}
// diff_from_last_approved) as rows a person reads: path, what it was, what it is. Values are shown as
// escaped JSON (lib/args.ts), so an invisible change is visible. Pure.
import { escapeInvisible } from './args.ts'
import type { DiffChange } from './queue.ts'

export interface DiffRow {
  readonly path: string
  readonly kind: DiffChange['kind']
  readonly sign: '+' | '-' | '~'
  readonly before: string | null
  readonly after: string | null
  /** Flag descriptions of invisible characters in either value. */
  readonly flags: readonly string[]
}

function shown(value: unknown): { text: string; flags: readonly string[] } {
  const r = escapeInvisible(JSON.stringify(value) ?? 'undefined')
  return { text: r.text, flags: r.flags }
}

export function diffRows(changes: readonly DiffChange[]): DiffRow[] {
  return changes.map((c) => {
    const before = c.kind === 'added' ? null : shown(c.before)
    const after = c.kind === 'removed' ? null : shown(c.after)
    return {
      path: c.path === '' ? '(whole arguments)' : c.path,
      kind: c.kind,
      sign: c.kind === 'added' ? '+' : c.kind === 'removed' ? '-' : '~',
      before: before?.text ?? null,
      after: after?.text ?? null,
      flags: [...(before?.flags ?? []), ...(after?.flags ?? [])],
    }
  })
}

/** One sentence for a screen reader or a summary line. */
export function diffSummary(changes: readonly DiffChange[] | null | undefined): string {
  if (changes === null || changes === undefined) return 'No earlier approved call of this tool by this agent to compare with.'
  if (changes.length === 0) return 'Identical to the last approved call.'
  const n = (k: DiffChange['kind']) => changes.filter((c) => c.kind === k).length
  const parts = [['changed', n('changed')], ['added', n('added')], ['removed', n('removed')]].filter(([, c]) => (c as number) > 0).map(([k, c]) => `${c} ${k}`)
  return `Differs from the last approved call: ${parts.join(', ')}.`
}

/** One hunk of GET /policies/diff (a unified line diff computed by the server). */
export interface PolicyHunk {
  from_start: number
  from_lines: number
  to_start: number
  to_lines: number
  lines: { op: ' ' | '-' | '+'; text: string }[]
}

export interface PolicyDiffLine {
  readonly kind: 'hunk' | 'keep' | 'del' | 'add'
  /** The line as `diff -u` prints it: "@@ -a,b +c,d @@", or the op character then the text. */
  readonly text: string
}

export function policyDiffLines(hunks: readonly PolicyHunk[]): PolicyDiffLine[] {
  const out: PolicyDiffLine[] = []
  for (const h of hunks) {
    out.push({ kind: 'hunk', text: `@@ -${h.from_start},${h.from_lines} +${h.to_start},${h.to_lines} @@` })
    for (const l of h.lines) out.push({ kind: l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'keep', text: `${l.op}${escapeInvisible(l.text).text}` })
  }
  return out
}
