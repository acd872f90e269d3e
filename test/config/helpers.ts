// Small helpers for the config suites: load YAML text, or collect the problems it produces.
import assert from 'node:assert/strict'
import { ConfigError, parseConfigText } from '../../src/config/index.ts'
import type { Config, ConfigProblem } from '../../src/config/index.ts'

export const FILE = 'gateway.yaml'

/** Loads `text` and fails the test if it has problems. */
export function load(text: string, env: NodeJS.ProcessEnv = {}): Config {
  try {
    return parseConfigText(text, FILE, env)
  } catch (err) {
    if (err instanceof ConfigError) assert.fail(`unexpected problems:\n${err.problems.map((p) => `${p.line} ${p.path}: ${p.message}`).join('\n')}`)
    throw err
  }
}

/** The problems `text` produces; fails the test if it loads. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): readonly ConfigProblem[] {
  try {
    parseConfigText(text, FILE, env)
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`)
    assert.equal(err.file, FILE)
    return err.problems
  }
  assert.fail('expected the config to be refused')
}

/** The one problem at `path`; fails if there is not exactly one there. */
export function problemAt(problems: readonly ConfigProblem[], path: string): ConfigProblem {
  const at = problems.filter((p) => p.path === path)
  assert.equal(at.length, 1, `expected one problem at ${path}, got:\n${problems.map((p) => `${p.path}: ${p.message}`).join('\n')}`)
  return at[0]!
}

/** A valid route block, indented for a `routes:` list. */
export function route(name: string, extra = ''): string {
  return `  - name: ${name}
    match:
      path_prefix: /${name}
    upstream: http://127.0.0.1:4000
    tools: [t1]
${extra}`
}
