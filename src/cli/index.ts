// Public surface of src/cli.
export { buildProgram, run } from './program.ts'
