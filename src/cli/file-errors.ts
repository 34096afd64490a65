import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './args.js';

/**
 * A file-system failure as a user reads it: which path, what is wrong, what to do. Commands check the inputs they
 * know of; this catches the rest (a folder where a file was expected, a missing file, no permission).
 */
export function fileSystemMessage(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  const { path, code } = err as NodeJS.ErrnoException;
  // Node leaves out the path on some calls (reading a folder): then the message says what kind of input to check.
  const subject = path ?? 'a path given';
  switch (code) {
    case 'ENOENT':
      return `${subject} does not exist; check the path`;
    case 'EISDIR':
      return `${path === undefined ? 'a folder was given' : `${path} is a folder`}, but a file is needed here; pass a file inside it`;
    case 'EEXIST':
      // mkdir of a path a file holds (an --out folder given as an existing file).
      return `${subject} already exists${(err as NodeJS.ErrnoException).syscall === 'mkdir' ? ' and is not a folder' : ''}; choose another path`;
    case 'ENOTDIR':
      return `${subject} is not a folder (a part of the path is a file); check the path`;
    case 'EACCES':
    case 'EPERM':
      return `${subject}: permission denied; check the file's permissions`;
    case 'ENOSPC':
      return `${subject}: no space left on the device; free some space and run again`;
    default:
      return undefined;
  }
}

/**
 * The output folder `--flag path`, created now, before any model loads: a path that a file holds (or that runs
 * through one) fails at once in the user's words instead of after minutes of loading and running.
 */
export function outputFolder(flag: string, path: string): string {
  const folder = resolve(path);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    const message = fileSystemMessage(err);
    if (message !== undefined) throw new CliError(`--${flag} ${path}: ${message}`);
    throw err;
  }
  return folder;
}
