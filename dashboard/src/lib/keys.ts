// Queue keyboard shortcuts (WCAG 2.1.4: single-key shortcuts can be turned off, and never fire while
// typing in a field). Pure: maps a key event's fields to an action.

export type QueueAction = 'next' | 'previous' | 'open' | 'choose-approve' | 'choose-deny' | 'submit' | 'help' | 'close'

export interface KeyInput {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  altKey: boolean
  /** The focused element is a text field (input, textarea, select, contenteditable). */
  inTextField: boolean
}

export const SHORTCUTS: readonly { keys: string; action: QueueAction; label: string }[] = [
  { keys: 'j', action: 'next', label: 'Next review' },
  { keys: 'k', action: 'previous', label: 'Previous review' },
  { keys: 'Enter', action: 'open', label: 'Open the selected review' },
  { keys: 'a', action: 'choose-approve', label: 'Choose Approve' },
  { keys: 'd', action: 'choose-deny', label: 'Choose Deny (focus moves to the reason)' },
  { keys: 'Control+Enter', action: 'submit', label: 'Submit the decision' },
  { keys: '?', action: 'help', label: 'Show these shortcuts' },
  { keys: 'Escape', action: 'close', label: 'Close help' },
]

/** The action for a key press, or null. `enabled` false turns off every single-key shortcut. */
export function actionFor(input: KeyInput, enabled: boolean): QueueAction | null {
  if (!enabled) return null
  // Ctrl/Cmd+Enter submits even from the reason field: that is where the reviewer is typing.
  if (input.key === 'Enter' && (input.ctrlKey || input.metaKey) && !input.altKey) return 'submit'
  if (input.ctrlKey || input.metaKey || input.altKey) return null
  if (input.key === 'Escape') return 'close'
  if (input.inTextField) return null
  switch (input.key) {
    case 'j':
      return 'next'
    case 'k':
      return 'previous'
    case 'Enter':
      return 'open'
    case 'a':
      return 'choose-approve'
    case 'd':
      return 'choose-deny'
    case '?':
      return 'help'
    default:
      return null
  }
}

/** The id `steps` rows away from `current` (clamped), or the first row when none is selected. */
export function moveSelection(ids: readonly string[], current: string | null, steps: number): string | null {
  if (ids.length === 0) return null
  const at = current === null ? -1 : ids.indexOf(current)
  if (at === -1) return ids[0]!
  return ids[Math.min(ids.length - 1, Math.max(0, at + steps))]!
}
