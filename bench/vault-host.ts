// Fallback Vault process for the bench while `serve` cannot start mode vault-only yet: loads the
// same generated vault-only YAML with the real config loader and starts the real Vault API
// (src/vault startVaultServer) with its SQLite store — the same code, only another composition
// root. Results name which one ran. Usage: node --import tsx bench/vault-host.ts <config.yaml>
import { loadConfig } from '../src/config/index.ts'
import { createRootLogger } from '../src/observability/index.ts'
import { startVaultServer } from '../src/vault/index.ts'

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: vault-host.ts <config.yaml>\n')
  process.exit(2)
}
const config = await loadConfig(file)
// The config's log level, as serve would use it: the Vault pays for its own request logging.
const logger = createRootLogger({ level: config.logging.level }).child({ component: 'vault' })
const vault = await startVaultServer({ config: config.vaultServer, logger })
process.stdout.write(JSON.stringify({ vault: { host: config.vaultServer.listen.host, port: vault.port } }) + '\n')

let stopping = false
function shutdown(): void {
  if (stopping) return
  stopping = true
  void vault.close().finally(() => process.exit(0))
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
