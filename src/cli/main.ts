import { readFileSync } from 'node:fs';
import { commands } from './registry.js';
import { CliError, subcommand } from './args.js';
import { ToolkenError } from '../util/errors.js';
import { fileSystemMessage } from './file-errors.js';

const usage = (): string =>
  [
    'usage: toolken <command> [options]',
    '',
    'commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(18)} ${c.summary}`),
    '',
    'Run `toolken <command> --help` for the options of one command; `toolken --version` prints the version.',
  ].join('\n');

/** The installed package's version (package.json sits two folders above both src/cli and dist/cli). */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

let watchingOutput = false;

/**
 * A reader that stops early (`toolken generate ... | head`) closes the pipe: the rest of the output is not wanted,
 * which is no failure, so the process ends at once with 0 and without an 'unhandled error' exit.
 */
function stopQuietlyWhenOutputCloses(): void {
  if (watchingOutput) return;
  watchingOutput = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    process.stderr.write(`toolken: writing the output failed: ${err.message}\n`);
    process.exit(1);
  });
}

/** Runs the CLI and returns the process exit code; errors a user can cause are printed, never thrown. */
export async function main(argv: readonly string[]): Promise<number> {
  stopQuietlyWhenOutputCloses();
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  if (name === undefined) {
    process.stderr.write(`toolken: give a command\n\n${usage()}\n`);
    return 2;
  }
  const where = Object.hasOwn(commands, name) ? `toolken ${name}` : 'toolken';
  try {
    return await subcommand(commands, name, 'command').run(rest);
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`${where}: ${err.message}\n`);
      return err.exitCode;
    }
    // Library errors are about the user's input (a file, a model, a catalog): one line, never a stack trace.
    if (err instanceof ToolkenError) {
      process.stderr.write(`${where}: ${err.message}\n`);
      return 2;
    }
    const fsMessage = fileSystemMessage(err);
    if (fsMessage !== undefined) {
      process.stderr.write(`${where}: ${fsMessage}\n`);
      return 2;
    }
    throw err;
  }
}
