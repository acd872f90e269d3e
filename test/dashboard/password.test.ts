// Password hashing and policy: PHC strings with the production parameters, verification that is
// exact and never throws on a bad stored hash, rehash detection, the length and common-password
// rules, and the hash limiter that refuses rather than queues.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_SCRYPT_PARAMS, hashPassword, passwordProblem, verifyPassword } from '../../src/vault/dashboard/auth/index.ts'
import { HashLimiter, parsePasswordHash } from '../../src/vault/dashboard/auth/password.ts'
import { CHEAP_SCRYPT } from './helpers.ts'

test('production parameters: N=2^16 r=8 p=2 in a PHC string, and they run (maxmem is raised)', async () => {
  assert.deepEqual(DEFAULT_SCRYPT_PARAMS, { ln: 16, r: 8, p: 2 })
  const phc = await hashPassword('correct horse battery staple')
  assert.match(phc, /^\$scrypt\$ln=16,r=8,p=2\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  assert.deepEqual(parsePasswordHash(phc)?.params, { ln: 16, r: 8, p: 2 })
})

test('verify: right password ok, wrong not, salts differ, other parameters ask for a rehash', async () => {
  const a = await hashPassword('a long enough passphrase', CHEAP_SCRYPT)
  const b = await hashPassword('a long enough passphrase', CHEAP_SCRYPT)
  assert.notEqual(a, b)
  assert.deepEqual(await verifyPassword('a long enough passphrase', a, CHEAP_SCRYPT), { ok: true, needsRehash: false })
  assert.deepEqual(await verifyPassword('a long enough passphrasE', a, CHEAP_SCRYPT), { ok: false, needsRehash: false })
  assert.deepEqual(await verifyPassword('a long enough passphrase', a, { ln: 5, r: 8, p: 1 }), { ok: true, needsRehash: true })
  assert.deepEqual(await verifyPassword('wrong', a, { ln: 5, r: 8, p: 1 }), { ok: false, needsRehash: false }, 'no rehash on failure')
  // Unicode is NFC-normalised: the composed and decomposed é are the same password.
  const e = await hashPassword('caf\u00e9 au lait tous les jours', CHEAP_SCRYPT)
  assert.equal((await verifyPassword('cafe\u0301 au lait tous les jours', e, CHEAP_SCRYPT)).ok, true)
})

test('a malformed or tampered stored hash never matches and never throws', async () => {
  const good = await hashPassword('a long enough passphrase', CHEAP_SCRYPT)
  const parts = good.split('$')
  const flipped = parts.slice(0, 4).join('$') + '$' + (parts[4]![0] === 'A' ? 'B' : 'A') + parts[4]!.slice(1)
  for (const stored of ['', 'plain', '$scrypt$ln=99,r=8,p=1$AAAA$BBBBBBBBBBBBBBBBBBBB', '$argon2id$v=19$m=1,t=1,p=1$AAAA$BBBB', good.slice(0, -4), flipped, '$scrypt$ln=4,r=8,p=0$AAAA$BBBBBBBBBBBBBBBBBBBB']) {
    assert.equal((await verifyPassword('a long enough passphrase', stored, CHEAP_SCRYPT)).ok, false, stored)
  }
})

test('policy: 12 to 1024 characters (code points), no common passwords, not the email', () => {
  assert.match(passwordProblem('elevenchars', 'a@x.test')!, /at least 12/)
  assert.equal(passwordProblem('twelve chars', 'a@x.test'), null)
  assert.match(passwordProblem('😀'.repeat(11), 'a@x.test')!, /at least 12/, 'an emoji is one character, not two')
  assert.equal(passwordProblem('😀'.repeat(12), 'a@x.test'), null)
  assert.equal(passwordProblem('x'.repeat(1023) + 'y', 'a@x.test'), null)
  assert.match(passwordProblem('x'.repeat(1024) + 'y', 'a@x.test')!, /at most 1024/)
  for (const common of ['password1234', 'PASSWORD1234', 'Password1234!', 'qwertyuiop123', 'iloveyou2024!!', '111111111111', 'zzzzzzzzzzzzzz', 'letmein123456']) {
    assert.match(passwordProblem(common, 'a@x.test') ?? '', /commonly used/, common)
  }
  assert.match(passwordProblem('someone.long@x.test', 'Someone.Long@x.test')!, /email/)
  assert.match(passwordProblem('someone.long', 'someone.long@x.test')!, /email/)
})

test('the hash limiter runs at most max at once and refuses the rest without running them', async () => {
  const limiter = new HashLimiter(2)
  let release!: () => void
  const gate = new Promise<void>((r) => (release = r))
  let ran = 0
  const job = async (): Promise<number> => {
    ran++
    await gate
    return 1
  }
  const first = limiter.run(job)
  const second = limiter.run(job)
  assert.equal(await limiter.run(job), null)
  assert.equal(ran, 2)
  assert.equal(limiter.inFlight, 2)
  release()
  assert.deepEqual(await Promise.all([first, second]), [{ value: 1 }, { value: 1 }])
  assert.equal(limiter.inFlight, 0)
  await assert.rejects(limiter.run(() => Promise.reject(new Error('boom'))), /boom/)
  assert.equal(limiter.inFlight, 0, 'a failed hash frees its slot')
})
