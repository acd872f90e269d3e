// A tiny store: one value, subscribers, and a hook that re-renders on change (no signals, no compat).
import { useEffect, useState } from 'preact/hooks'

export interface Store<T> {
  get(): T
  set(next: T | ((prev: T) => T)): void
  subscribe(fn: (value: T) => void): () => void
}

export function createStore<T>(initial: T): Store<T> {
  let value = initial
  const subs = new Set<(value: T) => void>()
  return {
    get: () => value,
    set(next) {
      value = typeof next === 'function' ? (next as (prev: T) => T)(value) : next
      for (const fn of subs) fn(value)
    },
    subscribe(fn) {
      subs.add(fn)
      return () => void subs.delete(fn)
    },
  }
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get())
  useEffect(() => {
    setValue(store.get())
    return store.subscribe(setValue)
  }, [store])
  return value
}
