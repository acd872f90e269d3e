// The command line run in this process: a fresh program per call, every (sub)command's exit turned
// into a throw and its output captured, so a test reads what the user would see and the exit code.
import { buildProgram } from '../../src/cli/index.ts'

export interface CliRun {
  out: string
  err: string
  code: number
}

/** Runs `ledgix-gateway ...args` in this process. */
export async function runCli(args: string[]): Promise<CliRun> {
  let out = ''
  let err = ''
  const program = buildProgram()
  const output = { writeOut: (s: string) => (out += s), writeErr: (s: string) => (err += s) }
  const configure = (c: ReturnType<typeof buildProgram>): void => {
    c.exitOverride().configureOutput(output)
    for (const sub of c.commands) configure(sub)
  }
  configure(program)
  try {
    await program.parseAsync(['node', 'ledgix-gateway', ...args])
    return { out, err, code: 0 }
  } catch (e) {
    return { out, err, code: (e as { exitCode?: number }).exitCode ?? 1 }
  }
}
