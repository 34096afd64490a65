import type { CliCommand } from './args.js';

/** Every CLI command, by name. */
export const commands: Record<string, CliCommand> = {};
