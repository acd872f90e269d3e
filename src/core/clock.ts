// Time is injected: components take a Clock so tests pin an epoch and advance it by hand.

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

export const systemClock: Clock = { now: Date.now }

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  #ms: number
  constructor(startMs: number) {
    this.#ms = startMs
  }
  now(): number {
    return this.#ms
  }
  advance(ms: number): void {
    this.#ms += ms
  }
  set(ms: number): void {
    this.#ms = ms
  }
}
