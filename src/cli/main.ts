import { commands } from './registry.js';
import { CliError } from './args.js';

const usage = (): string =>
  [
    'usage: toolken <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`),
    '',
    'Run `toolken <command> --help` for the options of one command.',
  ].join('\n');

/** Runs the CLI and returns the process exit code; errors a user can cause are printed, never thrown. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 1 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`toolken: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`toolken ${name}: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
