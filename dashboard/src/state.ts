// App-wide state: the session (from the boot JSON, refreshed from GET /ui/api/session), the polite
// live-region message, and the reviewer's preferences (shortcut toggle) kept in localStorage.
import { get, setCsrfToken } from './lib/api.ts'
import { parseBoot, parseSession } from './lib/boot.ts'
import type { Boot } from './lib/boot.ts'
import { createStore } from './lib/store.ts'

export const session = createStore<Boot>(parseBoot(document.getElementById('boot')?.textContent, Date.now()))
setCsrfToken(session.get().csrfToken)

export function serverNow(): number {
  return Date.now() + session.get().clockOffsetMs
}

export async function refreshSession(): Promise<void> {
  const next = parseSession(await get<unknown>('/ui/api/session'), Date.now())
  // Keep the insecure-origin flag the server put in the page; the session endpoint does not repeat it.
  next.insecureHttp = session.get().insecureHttp
  setCsrfToken(next.csrfToken)
  session.set(next)
}

/** The polite live region's text; a counter makes a repeated message announce again. */
export const liveMessage = createStore<{ text: string; n: number }>({ text: '', n: 0 })

export function announce(text: string): void {
  liveMessage.set((prev) => ({ text, n: prev.n + 1 }))
}

const SHORTCUTS_KEY = 'ledgix.shortcuts'

function readShortcutsPref(): boolean {
  try {
    return localStorage.getItem(SHORTCUTS_KEY) !== 'off'
  } catch {
    return true
  }
}

export const shortcutsEnabled = createStore<boolean>(readShortcutsPref())
shortcutsEnabled.subscribe((on) => {
  try {
    localStorage.setItem(SHORTCUTS_KEY, on ? 'on' : 'off')
  } catch {
    // private mode: the choice lasts for this page only
  }
})
