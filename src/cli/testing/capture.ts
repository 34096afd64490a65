/** For command tests: run in-process with everything written to stdout and stderr captured instead of printed. */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CliCommand } from '../args.js';

export interface Captured<T> {
  readonly value: T;
  readonly stdout: string;
  readonly stderr: string;
}

interface Buffers {
  stdout: string;
  stderr: string;
}

/**
 * Writes made by the command under test, told apart from everyone else's by async context: a command that awaits
 * (training that yields between steps) lets the test runner's own reporter write in between, and that output
 * must reach the terminal, not the command's captured text.
 */
const capturing = new AsyncLocalStorage<Buffers>();
let installed = false;

function installCapture(): void {
  if (installed) return;
  installed = true;
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const buffers = capturing.getStore();
      if (buffers === undefined) return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      buffers[name] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof stream.write;
  }
}

export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  installCapture();
  const buffers: Buffers = { stdout: '', stderr: '' };
  const value = await capturing.run(buffers, fn);
  return { value, ...buffers };
}

/** Runs `command` with `argv`: its exit code and what it wrote. */
export async function runCommand(command: CliCommand, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { value, stdout, stderr } = await captureOutput(() => command.run(argv));
  return { code: value, stdout, stderr };
}
