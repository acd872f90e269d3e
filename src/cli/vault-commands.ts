import type { Command } from 'commander'

export function registerApiKeyCommands(_program: Command): void {}
export function registerKeyCommands(_program: Command): void {}
