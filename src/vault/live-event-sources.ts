// Where the live event hub's events come from: the pluggable source. In-process for a single Vault
// (SQLite); a store's shared channel (PostgreSQL LISTEN/NOTIFY) when replicas share the database.
import type { LiveEventChannel } from '../store/index.ts'
import { liveEventFromJson } from './live-event-body.ts'
import type { LiveEvent } from './live-event-body.ts'

/** Carries published events to every hub that should see them (this process only, or all replicas). */
export interface LiveEventSource {
  /** true when only this process can have streams (then nothing is published while none is open). */
  readonly local: boolean
  /** Hand `event` to every hub, this one included (asynchronously for a remote source). Never throws. */
  publish(event: LiveEvent): void
  /** Start receiving; `onGap` is called when events may have been missed (a lost LISTEN connection). */
  start(deliver: (event: LiveEvent) => void, onGap: () => void): Promise<void>
  close(): Promise<void>
}

/** The source of a single Vault process: publishing is delivering. */
export class InProcessSource implements LiveEventSource {
  readonly local = true
  #deliver: ((event: LiveEvent) => void) | null = null
  publish(event: LiveEvent): void {
    this.#deliver?.(event)
  }
  async start(deliver: (event: LiveEvent) => void): Promise<void> {
    this.#deliver = deliver
  }
  async close(): Promise<void> {
    this.#deliver = null
  }
}

/**
 * The source over a store's shared channel (PostgreSQL LISTEN/NOTIFY): every replica's hub hears
 * every event, its own included (so publishing does not deliver locally: the echo does).
 */
export class ChannelSource implements LiveEventSource {
  readonly local = false
  readonly #channel: LiveEventChannel
  constructor(channel: LiveEventChannel) {
    this.#channel = channel
  }
  publish(event: LiveEvent): void {
    this.#channel.notify(JSON.stringify(event))
  }
  start(deliver: (event: LiveEvent) => void, onGap: () => void): Promise<void> {
    return this.#channel.listen((payload) => {
      const event = liveEventFromJson(payload)
      if (event !== null) deliver(event)
    }, onGap)
  }
  close(): Promise<void> {
    return this.#channel.close()
  }
}
