// Reading V8 .cpuprofile files (what `node --cpu-prof` and `bench/run.ts --cpu-prof` write): self
// time per sampled node, the call tree with total times, and stable frame labels, for the three
// profile tools in bench/ (profile-summary.ts, profile-diff.ts, flamegraph.ts).
import { readFileSync } from 'node:fs'

export interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}

export interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** One call-tree node with its self time and total (self + descendants) time, in µs. */
export interface TreeNode {
  frame: CallFrame
  selfUs: number
  totalUs: number
  children: TreeNode[]
}

export function readProfile(file: string): CpuProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Partial<CpuProfile>
  if (!Array.isArray(profile.nodes) || !Array.isArray(profile.samples) || !Array.isArray(profile.timeDeltas)) {
    throw new Error(`${file}: not a V8 .cpuprofile (needs nodes, samples and timeDeltas)`)
  }
  return profile as CpuProfile
}

/** Self time in µs per node id (a sample's time delta is charged to the node it hit). */
export function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
  }
  return self
}

/** The call tree rooted at the profile's first node, with self and total times. */
export function callTree(profile: CpuProfile): TreeNode {
  const self = selfTimes(profile)
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const build = (node: ProfileNode): TreeNode => {
    const children = (node.children ?? []).map((id) => byId.get(id)).filter((n): n is ProfileNode => n !== undefined).map(build)
    const selfUs = self.get(node.id) ?? 0
    return { frame: node.callFrame, selfUs, totalUs: children.reduce((sum, c) => sum + c.totalUs, selfUs), children }
  }
  return build(profile.nodes[0]!)
}

/**
 * A frame's label: the function name and, for code with a url, its file (last path segments) and
 * line. `nameOnly` keeps the function name (plus the module for node: builtins), so a bundled build
 * and the tsx sources of the same code compare by name.
 */
export function frameLabel(frame: CallFrame, nameOnly = false): string {
  const name = frame.functionName || '(anonymous)'
  if (frame.url === '') return name
  if (frame.url.startsWith('node:')) return nameOnly ? `${name} ${frame.url}` : `${name} ${frame.url}:${frame.lineNumber + 1}`
  if (nameOnly) return name
  return `${name} ${frame.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${frame.lineNumber + 1}`
}

/** Self time in µs grouped by `keyOf(frame)`, and the profile's total sampled time. */
export function selfByKey(profile: CpuProfile, keyOf: (frame: CallFrame) => string): { byKey: Map<string, number>; totalUs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const byKey = new Map<string, number>()
  let totalUs = 0
  for (const [id, us] of selfTimes(profile)) {
    const node = byId.get(id)
    if (node === undefined) continue
    totalUs += us
    const key = keyOf(node.callFrame)
    byKey.set(key, (byKey.get(key) ?? 0) + us)
  }
  return { byKey, totalUs }
}

/** Self time in µs per frame label (see frameLabel), and the profile's total sampled time. */
export function selfByLabel(profile: CpuProfile, nameOnly = false): { byLabel: Map<string, number>; totalUs: number } {
  const { byKey, totalUs } = selfByKey(profile, (frame) => frameLabel(frame, nameOnly))
  return { byLabel: byKey, totalUs }
}
