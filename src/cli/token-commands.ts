import type { Command } from 'commander'

export function registerTokenCommands(_program: Command): void {}
