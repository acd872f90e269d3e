// Worker entry for burn-server.ts: Node 20 does not apply tsx's --import hooks to a worker's own
// entry file, so this plain module loads the TypeScript worker through tsx's API.
import { tsImport } from 'tsx/esm/api'

await tsImport('./burn-writer-worker.ts', import.meta.url)
