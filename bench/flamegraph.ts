// A flame graph (SVG, no dependencies, opens in any browser) from a V8 .cpuprofile: one box per
// call path, its width the time spent in it and below it, callers underneath. Hover a box for its
// file, line, time and share. Colours: our sources green, node_modules orange, node: builtins blue,
// native / V8 (GC, program, syscalls) red.
// Usage: tsx bench/flamegraph.ts <file.cpuprofile> [--out flame.svg] [--width 1600] [--idle] [--title T]
//   --idle  keep the (idle) box: by default the graph shows where busy time went
import { readdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { callTree, frameLabel, readProfile } from './lib/cpuprofile.ts'
import type { CallFrame, TreeNode } from './lib/cpuprofile.ts'

const USAGE = 'usage: tsx bench/flamegraph.ts <file.cpuprofile> [--out flame.svg] [--width 1600] [--idle] [--title T]\n'
const ROW_PX = 17
const FONT_PX = 11
/** Boxes narrower than this are left out (with everything above them): unreadable, and they bloat the file. */
const MIN_BOX_PX = 0.4
const CHAR_PX = 6.4
const TOP_PX = 40

export interface FlameOptions {
  width: number
  keepIdle: boolean
  title: string
}

/** Frames of one call path under one parent merged (V8 keeps one node per call site). */
interface Box {
  frame: CallFrame
  label: string
  totalUs: number
  selfUs: number
  children: Box[]
}

function merge(nodes: readonly TreeNode[], keepIdle: boolean): Box[] {
  const byLabel = new Map<string, { frame: CallFrame; nodes: TreeNode[] }>()
  for (const node of nodes) {
    if (!keepIdle && node.frame.functionName === '(idle)' && node.frame.url === '') continue
    const label = frameLabel(node.frame)
    const entry = byLabel.get(label)
    if (entry === undefined) byLabel.set(label, { frame: node.frame, nodes: [node] })
    else entry.nodes.push(node)
  }
  const boxes: Box[] = []
  for (const [label, { frame, nodes: same }] of byLabel) {
    const totalUs = same.reduce((sum, n) => sum + n.totalUs, 0)
    if (totalUs <= 0) continue
    boxes.push({
      frame,
      label,
      totalUs,
      selfUs: same.reduce((sum, n) => sum + n.selfUs, 0),
      children: merge(
        same.flatMap((n) => n.children),
        keepIdle,
      ),
    })
  }
  // Widest first: the hot paths sit on the left, as in most flame graph tools.
  return boxes.sort((a, b) => b.totalUs - a.totalUs)
}

function depthOf(boxes: readonly Box[], pxPerUs: number): number {
  let deepest = 0
  for (const box of boxes) {
    if (box.totalUs * pxPerUs < MIN_BOX_PX) continue
    deepest = Math.max(deepest, 1 + depthOf(box.children, pxPerUs))
  }
  return deepest
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** Stable colour per category and name, so the same function has the same colour in every graph. */
function colour(frame: CallFrame): string {
  let h = 0
  for (let i = 0; i < frame.functionName.length; i++) h = (h * 31 + frame.functionName.charCodeAt(i)) >>> 0
  const v = h % 40
  const url = frame.url
  if (url === '' || url.startsWith('wasm')) return `rgb(${205 + (v % 50)},${60 + v},${50 + (v % 20)})`
  if (url.startsWith('node:')) return `rgb(${80 + v},${140 + v},${205 + (v % 50)})`
  if (url.includes('/node_modules/')) return `rgb(${225 + (v % 30)},${140 + v * 2},${40 + v})`
  return `rgb(${80 + v},${185 + v},${90 + v})`
}

export function renderFlameGraph(root: TreeNode, options: FlameOptions): string {
  const top = merge(root.children, options.keepIdle)
  const totalUs = top.reduce((sum, b) => sum + b.totalUs, 0)
  const width = options.width
  const pxPerUs = totalUs > 0 ? (width - 20) / totalUs : 0
  const rows = depthOf(top, pxPerUs) + 1
  const height = TOP_PX + rows * ROW_PX + 10
  const out: string[] = []
  out.push(
    `<?xml version="1.0" standalone="no"?>`,
    `<svg version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg" font-family="Verdana, sans-serif" font-size="${FONT_PX}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#f8f8f8"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="15">${escapeXml(options.title)}</text>`,
    `<text x="10" y="34" fill="#555">${escapeXml(`${(totalUs / 1000).toFixed(0)} ms sampled${options.keepIdle ? '' : ' (idle left out)'}; width = time in a function and what it called; hover for details`)}</text>`,
  )
  const box = (b: Box, x: number, depth: number): void => {
    const w = b.totalUs * pxPerUs
    if (w < MIN_BOX_PX) return
    const y = height - 10 - (depth + 1) * ROW_PX
    const share = ((b.totalUs / totalUs) * 100).toFixed(2)
    const title = `${b.label}: ${(b.totalUs / 1000).toFixed(1)} ms (${share} %), self ${(b.selfUs / 1000).toFixed(1)} ms`
    const chars = Math.floor((w - 6) / CHAR_PX)
    const name = b.frame.functionName || '(anonymous)'
    const text = chars >= 3 ? (name.length <= chars ? name : `${name.slice(0, chars - 2)}..`) : ''
    out.push(
      `<g><title>${escapeXml(title)}</title><rect x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW_PX - 1}" rx="2" fill="${colour(b.frame)}"/>` +
        (text === '' ? '' : `<text x="${(x + 3).toFixed(2)}" y="${y + ROW_PX - 5}">${escapeXml(text)}</text>`) +
        `</g>`,
    )
    let childX = x
    for (const child of b.children) {
      box(child, childX, depth + 1)
      childX += child.totalUs * pxPerUs
    }
  }
  // The root row: everything sampled.
  out.push(
    `<g><title>all: ${(totalUs / 1000).toFixed(1)} ms</title><rect x="10" y="${height - 10 - ROW_PX}" width="${(width - 20).toFixed(2)}" height="${ROW_PX - 1}" rx="2" fill="#c8c8c8"/><text x="13" y="${height - 15}">all</text></g>`,
  )
  let x = 10
  for (const b of top) {
    box(b, x, 1)
    x += b.totalUs * pxPerUs
  }
  out.push('</svg>', '')
  return out.join('\n')
}

/**
 * A flame graph beside every .cpuprofile under `dir` (`<profile>.svg`), for `bench/run.ts
 * --cpu-prof`. Returns the SVG paths; a profile that cannot be read is reported, not fatal.
 */
export function writeFlameGraphs(dir: string, width = 1600): { written: string[]; failed: string[] } {
  const written: string[] = []
  const failed: string[] = []
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    if (!entry.endsWith('.cpuprofile')) continue
    const file = join(dir, entry)
    try {
      writeFileSync(`${file}.svg`, renderFlameGraph(callTree(readProfile(file)), { width, keepIdle: false, title: entry }))
      written.push(`${file}.svg`)
    } catch (err) {
      failed.push(`${file}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  return { written, failed }
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: { out: { type: 'string' }, width: { type: 'string', default: '1600' }, idle: { type: 'boolean', default: false }, title: { type: 'string' } },
    allowPositionals: true,
  })
  const file = positionals[0]
  const width = Number(values.width)
  if (file === undefined || !(width >= 200 && width <= 20_000)) {
    process.stderr.write(USAGE)
    process.exit(2)
  }
  const svg = renderFlameGraph(callTree(readProfile(file)), { width, keepIdle: values.idle === true, title: values.title ?? basename(file) })
  if (values.out === undefined) process.stdout.write(svg)
  else {
    writeFileSync(values.out, svg)
    process.stderr.write(`wrote ${values.out}\n`)
  }
}

// Run as a command, not when imported (bench/run.ts, tests).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main()
