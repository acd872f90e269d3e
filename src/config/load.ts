// The one config loader, used by `serve`, `config validate` and SIGHUP reload:
// read → YAML (with node ranges) → ${ENV} → schema (all errors, defaults) → normalise →
// cross-field checks → deep-freeze. Any problem throws one ConfigError listing all of them.
import { readFile } from 'node:fs/promises'
import { checkConfig } from './check.ts'
import { deepFreeze } from './deep-freeze.ts'
import { interpolateEnv } from './interpolate.ts'
import { normalizeConfig } from './normalize.ts'
import { ConfigError, sortProblems } from './problems.ts'
import type { ConfigProblem, PathSegment, PendingProblem } from './problems.ts'
import type { Config } from './types.ts'
import { coerceInterpolated, validateRaw } from './validate.ts'
import { locate, parseYamlSource } from './yaml-source.ts'

/** Reads and loads `file`; throws ConfigError (with every problem) when it is not a valid config. */
export async function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Config> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new ConfigError(file, [{ path: '', line: null, message: `cannot read the file: ${readErrorText(err)}` }])
  }
  return parseConfigText(text, file, env)
}

/** The same pipeline on text already in memory (`file` only names it in messages). */
export function parseConfigText(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const source = parseYamlSource(text)
  if (source.syntaxProblems.length > 0) {
    throw new ConfigError(file, sortProblems(source.syntaxProblems.map((p) => ({ path: '', ...p }))))
  }
  const interpolated = interpolateEnv(source.value, env)
  coerceInterpolated(interpolated.value, interpolated.replaced)
  const { config: raw, problems: schemaProblems } = validateRaw(interpolated.value)
  // A value whose ${VAR} failed is still the literal text; its schema complaint would only repeat that.
  const failed = interpolated.problems.map((p) => p.path)
  const problems: PendingProblem[] = [...interpolated.problems, ...schemaProblems.filter((p) => !failed.some((f) => isWithin(p.path, f)))]
  if (problems.length > 0) fail(file, source, problems)

  // Normalising and cross-checks assume schema-valid input, so they run only once it is.
  const config = normalizeConfig(raw, problems)
  checkConfig(config, raw, problems)
  if (problems.length > 0) fail(file, source, problems)
  return deepFreeze(config)
}

function fail(file: string, source: ReturnType<typeof parseYamlSource>, problems: readonly PendingProblem[]): never {
  const located: ConfigProblem[] = locate(source, problems)
  throw new ConfigError(file, sortProblems(located))
}

function isWithin(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg)
}

function readErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | null)?.code
  if (code === 'ENOENT') return 'no such file; check the path given to -c/--config'
  if (code === 'EACCES') return 'permission denied'
  if (code === 'EISDIR') return 'it is a directory, not a YAML file'
  return err instanceof Error ? err.message : String(err)
}
