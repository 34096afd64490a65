import type { CliCommand } from './args.js';

/** Every CLI command, by name. */
export const commands: Record<string, CliCommand> = {};
commands['eval'] = (await import('./commands/eval.js')).command;
commands['generate'] = (await import('./commands/generate.js')).command;
commands['tools'] = (await import('./commands/tools.js')).command;
commands['train'] = (await import('./commands/train.js')).command;
commands['init'] = (await import('./commands/init.js')).command;
commands['retrieve'] = (await import('./commands/retrieve.js')).command;
commands['demo'] = (await import('./commands/demo.js')).command;
commands['agent'] = (await import('./commands/agent.js')).command;
commands['serve'] = (await import('./commands/serve.js')).command;
commands['dashboard'] = (await import('./commands/dashboard.js')).command;
commands['mcp'] = (await import('./commands/mcp.js')).command;
