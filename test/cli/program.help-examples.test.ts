// Every command's --help shows at least one example (issue 6): walk the program buildProgram() makes
// and render each command's help the way `--help` prints it, after-text included.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { Command } from 'commander'
import { buildProgram } from '../../src/cli/program.ts'

function walk(command: Command, path: string[], out: [string, Command][]): [string, Command][] {
  out.push([path.join(' '), command])
  for (const sub of command.commands) walk(sub, [...path, sub.name()], out)
  return out
}

function helpOf(command: Command): string {
  let text = ''
  command.configureOutput({ writeOut: (s) => (text += s), writeErr: (s) => (text += s) })
  command.outputHelp()
  return text
}

const commands = walk(buildProgram(), ['ledgix-gateway'], [])

test('the program has the documented command groups', () => {
  const names = commands.map(([name]) => name)
  for (const expected of ['ledgix-gateway serve', 'ledgix-gateway config validate', 'ledgix-gateway token verify', 'ledgix-gateway ledger verify-bundle', 'ledgix-gateway demo-upstream', 'ledgix-gateway keys rotate', 'ledgix-gateway apikeys create']) {
    assert.ok(names.includes(expected), `${expected} missing from ${names.join(', ')}`)
  }
})

for (const [name, command] of commands) {
  test(`${name} --help shows an example`, () => {
    const help = helpOf(command)
    assert.match(help, /Examples?:/, `${name} --help has no "Example:" section:\n${help}`)
    assert.match(help, /\$ ledgix-gateway /, `${name} --help has no "$ ledgix-gateway …" example line`)
  })
}
