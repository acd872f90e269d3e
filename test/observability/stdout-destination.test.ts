// The root logger's stdout destination (src/observability/logger.ts): access lines are encoded into
// 64 KiB slabs and pino's own lines go straight out, in order. A child process writes to its real
// stdout (a pipe here, as under Docker or systemd) and exits; every byte must arrive, in order.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

const LOGGER = resolve(import.meta.dirname, '../../src/observability/index.ts')

const SCRIPT = `
import { createRootLogger, rawLineTarget, LOG_BUFFER_BYTES } from ${JSON.stringify(LOGGER)}
const root = createRootLogger({ level: 'info' })
const sink = rawLineTarget(root).sink
const line = (i, path) => '{"n":' + i + ',"path":' + JSON.stringify(path) + '}\\n'
// The byte path the access log uses: beginLine / lineStart / endLine, with room to spare.
const bytesLine = (text) => {
  const buf = sink.beginLine(Buffer.byteLength(text) + 100)
  sink.endLine(sink.lineStart + buf.write(text, sink.lineStart, 'utf8'))
}
root.info('first')
let n = 0
// Multi-byte UTF-8 (2, 3 and 4 bytes per character) across several slab boundaries, string and
// byte lines alternating.
for (let i = 0; i < 3000; i++) (i % 2 === 0 ? sink.writeLine : bytesLine).call(sink, line(n++, '/p/' + i + '/é/日本/😀'))
root.warn('middle')
// A line longer than a whole slab goes out on its own, after the held ones, on either path.
sink.writeLine(line(n++, '/x'.repeat(LOG_BUFFER_BYTES)))
bytesLine(line(n++, '/y'.repeat(LOG_BUFFER_BYTES)))
for (let i = 0; i < 10; i++) sink.writeLine(line(n++, '/tail/' + i))
if (process.argv.at(-1) === 'timer') {
  // Held lines reach stdout within the flush interval on an idle process, before any exit.
  setTimeout(() => { process.stderr.write('timer-check\\n'); setTimeout(() => process.exit(0), 2000) }, 600)
} else {
  root.info('last')
  process.exit(0)
}
`

function run(mode: string): Promise<{ out: string; early: string | null }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, mode], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let early: string | null = null
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => (out += chunk))
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (chunk: string) => {
      if (chunk.includes('timer-check')) early = out
    })
    child.on('error', reject)
    child.on('close', (code) => (code === 0 ? resolvePromise({ out, early }) : reject(new Error(`child exited ${code}`))))
  })
}

function parse(out: string): Array<Record<string, unknown>> {
  assert.ok(out.endsWith('\n'))
  return out.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
}

test('stdout destination: access lines and pino lines arrive complete and in order, multi-byte and oversized lines intact', async () => {
  const { out } = await run('exit')
  const lines = parse(out)
  assert.equal(lines.length, 3000 + 2 + 10 + 3)
  assert.equal(lines[0]!['msg'], 'first')
  for (let i = 0; i < 3000; i++) assert.deepEqual(lines[1 + i], { n: i, path: `/p/${i}/é/日本/😀` })
  assert.equal(lines[3001]!['msg'], 'middle', 'a pino line goes out after the access lines held before it')
  assert.equal(lines[3002]!['path'], '/x'.repeat(64 * 1024))
  assert.equal(lines[3003]!['path'], '/y'.repeat(64 * 1024))
  for (let i = 0; i < 10; i++) assert.deepEqual(lines[3004 + i], { n: 3002 + i, path: `/tail/${i}` })
  assert.equal(lines.at(-1)!['msg'], 'last')
})

test('stdout destination: held access lines are flushed by the interval on an idle process', async () => {
  const { out, early } = await run('timer')
  assert.ok(early !== null, 'the child reported its timer')
  const seen = parse(early)
  assert.equal(seen.length, 1 + 3000 + 1 + 2 + 10, 'every line was on stdout 600 ms after it was written, before exit')
  assert.equal(out, early)
})
