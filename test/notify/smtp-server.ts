// A real SMTP server on loopback (the smtp-server package) for the email channel: STARTTLS with a
// certificate made for this run by openssl, AUTH PLAIN/LOGIN checked, every message recorded raw
// together with the envelope and whether the session was upgraded to TLS.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  raw: string
  secure: boolean
  user: string | null
}

export interface SmtpFixture {
  port: number
  caFile: string
  mails: ReceivedMail[]
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>
}

export const SMTP_USER = 'notifier'
export const SMTP_PASSWORD = 'smtp-password-for-tests'

export async function startSmtp(t: { after(fn: () => unknown): void }): Promise<SmtpFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgix-smtp-'))
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' })
  const mails: ReceivedMail[] = []
  const server = new SMTPServer({
    key: readFileSync(key),
    cert: readFileSync(cert),
    authMethods: ['PLAIN', 'LOGIN'],
    // AUTH only after STARTTLS (the default): a client that skipped TLS cannot log in.
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username })
      else callback(new Error('bad credentials'))
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : null,
        })
        callback()
      })
    },
    logger: false,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  t.after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()))
    rmSync(dir, { recursive: true, force: true })
  })
  return {
    port,
    caFile: cert,
    mails,
    async waitFor(n, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      while (mails.length < n) {
        if (Date.now() > until) throw new Error(`smtp: waited for ${n} mails, got ${mails.length}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      return mails
    },
  }
}

/** The decoded body of the MIME part with this content type (quoted-printable or base64). */
export function mimePart(raw: string, contentType: string): string | null {
  const at = raw.toLowerCase().indexOf(`content-type: ${contentType}`)
  if (at === -1) return null
  const rest = raw.slice(at)
  const headerEnd = rest.indexOf('\r\n\r\n')
  const headers = rest.slice(0, headerEnd).toLowerCase()
  const boundary = rest.indexOf('\r\n--', headerEnd)
  const body = rest.slice(headerEnd + 4, boundary === -1 ? undefined : boundary)
  if (headers.includes('base64')) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
  if (headers.includes('quoted-printable')) {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
    return Buffer.from(bytes, 'latin1').toString('utf8')
  }
  return body
}
