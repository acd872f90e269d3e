// The one root pino logger: JSON lines to stdout (no transports, so the bundled binary needs no
// worker files), level from config, and a redaction list as the second net behind allow-listed fields.
// Also the raw-line fast path the access log uses: same stream, same bindings, no serialisation
// pass, buffered writes.
import { pino } from 'pino'
import type { DestinationStream, Logger } from 'pino'

export type { Logger }
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

/**
 * Paths censored wherever they appear. Callers never log headers or tokens on purpose (the access log
 * is an allow-list); this catches a careless `{ headers }` or `{ apiKey }` before it reaches disk.
 */
export const REDACT_PATHS: readonly string[] = [
  'authorization',
  'token',
  'apiKey',
  'api_key',
  'adminApiKey',
  'privateKey',
  'headers.authorization',
  'headers["x-vault-api-key"]',
  'headers["x-admin-api-key"]',
  '*.authorization',
  '*.token',
  '*.apiKey',
  '*.api_key',
  '*.adminApiKey',
  '*.privateKey',
  '*.headers.authorization',
  '*.headers["x-vault-api-key"]',
]

export interface LoggerOptions {
  level: LogLevel
  /** Defaults to stdout; tests pass a sink to parse lines. */
  destination?: DestinationStream
}

/**
 * Access lines reach stdout in batches of about this many bytes: one write(2) per ~200 lines
 * instead of one per line. stdout is written through the libuv thread pool (never a blocking write
 * on the event loop), and each hand-off costs tens of µs of wake-ups and context switches on the
 * gateway's own core: measured on one pinned core, 5.5 µs per line in 4 KiB batches, 1.3 µs in
 * 64 KiB batches, 0.6 µs with no thread hop at all. At most one batch (or LOG_FLUSH_INTERVAL_MS of
 * lines, whichever is less) is lost if the process is SIGKILLed; SIGTERM and exit flush it.
 */
export const LOG_BUFFER_BYTES = 64 * 1024
/** A quiet gateway's access lines still reach stdout within this; exit and SIGTERM flush at once. */
export const LOG_FLUSH_INTERVAL_MS = 250
/** Worst-case UTF-8 bytes per UTF-16 code unit: a line fits the slab if 3 × its length does. */
const UTF8_MAX_PER_UNIT = 3

/** What the access log writes through: buffered on stdout, straight through on any other stream. */
export interface LineSink {
  writeLine(line: string): void
  /**
   * Start one line of at most `maxBytes` written as bytes: the buffer to write into from
   * `lineStart` on. The line must be finished with endLine(end) before anything else is written.
   */
  beginLine(maxBytes: number): Buffer
  /** Where beginLine's line starts in the buffer it returned. */
  readonly lineStart: number
  /** The line just written ends (exclusive) at `end`, its newline included. */
  endLine(end: number): void
}

/** pino.destination() in `contentMode: 'buffer'`: its typings only describe the string mode. */
interface BufferSonicBoom {
  write(data: Buffer): boolean
  flush(cb?: (err?: Error) => void): void
  flushSync(): void
}

/**
 * stdout for the root logger. Every line pino writes (lifecycle, warnings, errors) goes to the
 * sonic-boom at once, as before, after any access lines still held, so order is kept; access lines
 * (writeLine) are encoded straight into a LOG_BUFFER_BYTES slab, which goes to the sonic-boom when
 * full or after LOG_FLUSH_INTERVAL_MS. The sonic-boom runs in buffer mode: a batch is never a string,
 * so there is no 64 KiB rope to flatten, measure (Buffer.byteLength, twice) and re-encode per write;
 * that string path cost ~1.8 µs per access line on one pinned core, the slab ~0.2 µs. pino registers
 * the sonic-boom for a synchronous flush at exit; this class adds the held lines to it at exit and
 * on flush (runUntilSignal flushes on SIGTERM), so buffering loses no line.
 */
class StdoutDestination implements DestinationStream, LineSink {
  readonly #sonic: BufferSonicBoom
  #slab: Buffer = Buffer.allocUnsafeSlow(LOG_BUFFER_BYTES)
  #used = 0
  /** beginLine's buffer when the line could be longer than a slab (then it goes out on its own). */
  #oversized: Buffer | null = null

  constructor(sonic: BufferSonicBoom) {
    this.#sonic = sonic
    setInterval(releaseHeld, LOG_FLUSH_INTERVAL_MS, this).unref()
    process.once('exit', () => this.flushSync())
  }

  write(line: string): void {
    if (this.#used !== 0) this.release()
    this.#sonic.write(Buffer.from(line, 'utf8'))
  }

  writeLine(line: string): void {
    const buf = this.beginLine(line.length * UTF8_MAX_PER_UNIT)
    const start = this.lineStart
    this.endLine(start + buf.write(line, start, 'utf8'))
  }

  get lineStart(): number {
    return this.#oversized === null ? this.#used : 0
  }

  /**
   * Room in the slab (handing it over first if the line might not fit); a line longer than a slab
   * (a path near the header limit) gets a buffer of its own and goes out after the held lines.
   */
  beginLine(maxBytes: number): Buffer {
    if (this.#used + maxBytes <= LOG_BUFFER_BYTES) return this.#slab
    this.release()
    if (maxBytes <= LOG_BUFFER_BYTES) return this.#slab
    this.#oversized = Buffer.allocUnsafe(maxBytes)
    return this.#oversized
  }

  endLine(end: number): void {
    const oversized = this.#oversized
    if (oversized === null) {
      this.#used = end
      return
    }
    this.#oversized = null
    this.#sonic.write(oversized.subarray(0, end))
  }

  /** Hand the held access lines to the sonic-boom (which writes them as soon as it is idle). */
  release(): void {
    const used = this.#used
    if (used === 0) return
    // The sonic-boom may hold the batch until its current write finishes: it gets this slab, and
    // the next lines go to a fresh one.
    const batch = this.#slab.subarray(0, used)
    this.#slab = Buffer.allocUnsafeSlow(LOG_BUFFER_BYTES)
    this.#used = 0
    this.#sonic.write(batch)
  }

  flush(cb?: (err?: Error) => void): void {
    this.release()
    this.#sonic.flush(cb)
  }

  flushSync(): void {
    this.release()
    try {
      this.#sonic.flushSync()
    } catch {
      // Already closed (stdout gone, EPIPE): nothing more can be written anyway.
    }
  }
}

function releaseHeld(destination: StdoutDestination): void {
  destination.release()
}

/** Access lines on a caller's stream (tests' sinks): written as they come. */
class DirectSink implements LineSink {
  readonly #stream: DestinationStream

  constructor(stream: DestinationStream) {
    this.#stream = stream
  }

  writeLine(line: string): void {
    this.#stream.write(line)
  }

  #scratch: Buffer = Buffer.alloc(0)
  readonly lineStart = 0

  beginLine(maxBytes: number): Buffer {
    if (this.#scratch.length < maxBytes) this.#scratch = Buffer.alloc(Math.max(maxBytes, 1024))
    return this.#scratch
  }

  endLine(end: number): void {
    this.#stream.write(this.#scratch.toString('utf8', 0, end))
  }
}

export function createRootLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ledgix-gateway' },
      redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
      // ISO time reads better in ops tooling than epoch ms and costs one formatted string per line.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: formatLevel },
    },
    options.destination ?? new StdoutDestination(pino.destination({ fd: 1, sync: false, contentMode: 'buffer' }) as unknown as BufferSonicBoom),
  )
}

function formatLevel(label: string): { level: string } {
  return { level: label }
}

/** Child logger for one component, made once at load (pino pre-renders the bindings). */
export function componentLogger(root: Logger, component: string): Logger {
  return root.child({ component })
}

/**
 * Where a hand-built JSON line goes so that it reads exactly like the logger's own: its stream and
 * its pre-rendered bindings (`,"service":…,"component":…,"route":…`, pino's `chindings`). For one
 * fixed-shape line per request whose fields the caller allow-lists and escapes itself, this skips
 * pino's redaction and serialisation passes, which cost ~10 % of busy CPU in a passthrough profile.
 */
export interface RawLineTarget {
  readonly sink: LineSink
  readonly bindings: string
}

export function rawLineTarget(logger: Logger): RawLineTarget {
  const holder = logger as unknown as Record<symbol, unknown>
  const bindings = holder[pino.symbols.chindingsSym]
  const stream = holder[pino.symbols.streamSym] as DestinationStream
  return {
    sink: stream instanceof StdoutDestination ? stream : new DirectSink(stream),
    bindings: typeof bindings === 'string' ? bindings : '',
  }
}

let lastTimeMs = -1
let lastTimeJson = ''

/** `"time":"<ISO>"` as pino.stdTimeFunctions.isoTime renders it; one Date per millisecond, not per line. */
export function isoTimeField(nowMs: number): string {
  if (nowMs !== lastTimeMs) {
    lastTimeMs = nowMs
    lastTimeJson = `"time":"${new Date(nowMs).toISOString()}"`
  }
  return lastTimeJson
}
