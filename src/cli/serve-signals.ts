// Process lifecycle shared by the single-process server, the cluster primary and its workers:
// block until SIGTERM/SIGINT, shut down in order, flush the logs; SIGHUP reloads.
import type { AddressInfo } from 'node:net'
import type { Logger } from '../observability/index.ts'

export type Address = { host: string; port: number }

export function toAddress(a: AddressInfo): Address {
  return { host: a.address, port: a.port }
}

/** Block until SIGTERM/SIGINT, run `shutdown`, flush logs, resolve 0. SIGHUP runs `reload` (serialised). */
export function runUntilSignal(log: Logger, root: Logger, shutdown: () => Promise<void>, reload?: () => Promise<void>): Promise<number> {
  return new Promise<number>((resolveExit) => {
    let reloading: Promise<void> = Promise.resolve()
    const onHup = (): void => {
      if (reload === undefined) return
      log.info('SIGHUP: reloading config')
      reloading = reloading.then(reload, reload)
    }
    const onStop = (signal: NodeJS.Signals): void => {
      process.off('SIGTERM', onStop)
      process.off('SIGINT', onStop)
      process.off('SIGHUP', onHup)
      log.info({ signal }, 'shutting down')
      shutdown()
        .catch((err: unknown) => log.error({ err }, 'error during shutdown'))
        .finally(() => {
          log.info('stopped')
          root.flush(() => resolveExit(0))
        })
    }
    process.on('SIGTERM', onStop)
    process.on('SIGINT', onStop)
    process.on('SIGHUP', onHup)
  })
}
