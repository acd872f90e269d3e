// The bind_args hot path in isolation (issue 16): the strict reader against JSON.parse on a typical
// ~200-byte tool-call body, and the whole decision (read + canonical hash) before and after. Prints
// one JSON line of ns/op. Usage: node --import tsx bench/micro/bound-args.ts [seconds=2]  (pin it: taskset -c 1 …)
import { matchBoundArgs, readStrictJson, snakeCaseKeys, toolArgsHash } from '../../src/token/index.ts'

const seconds = Number(process.argv[2] ?? 2)
const ARGS = {
  amount: 249.99,
  currency: 'USD',
  customer_id: 'cus_123',
  payment_method_id: 'pm_123',
  order_event_id: 'ord_evt_2048',
  reasoning: 'Charge matches a completed order event.',
}
const snakeBody = Buffer.from(JSON.stringify(ARGS))
const camelBody = Buffer.from(JSON.stringify({ amount: 249.99, currency: 'USD', customerId: 'cus_123', paymentMethodId: 'pm_123', orderEventId: 'ord_evt_2048', reasoning: ARGS.reasoning }))
const hash = toolArgsHash(ARGS)

/** The check before issue 16: lossy decode, JSON.parse, hash, then the snake_case fallback. */
function previousCheck(body: Buffer): boolean {
  const args = JSON.parse(body.toString('utf8')) as unknown
  return toolArgsHash(args) === hash || toolArgsHash(snakeCaseKeys(args)) === hash
}

let sink = 0
/** ns per call of fn(body), in batches of 1024 between clock reads, after a 0.3 s warm-up. */
function nsPerOp(fn: (body: Buffer) => unknown, body: Buffer, durationMs: number): number {
  for (const end = performance.now() + 300; performance.now() < end; ) for (let i = 0; i < 1024; i++) sink += fn(body) ? 1 : 0
  let count = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < durationMs) {
    for (let i = 0; i < 1024; i++) sink += fn(body) ? 1 : 0
    count += 1024
    elapsed = performance.now() - started
  }
  return Math.round((elapsed * 1e6) / count)
}

const ms = (seconds * 1000) / 6
const row = {
  body_bytes: snakeBody.length,
  json_parse_ns: nsPerOp((b) => JSON.parse(b.toString('utf8')), snakeBody, ms),
  strict_reader_ns: nsPerOp((b) => readStrictJson(b).ok, snakeBody, ms),
  previous_check_ns: nsPerOp(previousCheck, snakeBody, ms),
  match_bound_args_ns: nsPerOp((b) => matchBoundArgs(b, hash).ok, snakeBody, ms),
  previous_check_camel_ns: nsPerOp(previousCheck, camelBody, ms),
  match_bound_args_camel_ns: nsPerOp((b) => matchBoundArgs(b, hash).ok, camelBody, ms),
}
if (!matchBoundArgs(snakeBody, hash).ok || !matchBoundArgs(camelBody, hash).ok || sink === 0) throw new Error('bench bodies must match')
process.stdout.write(JSON.stringify(row) + '\n')
