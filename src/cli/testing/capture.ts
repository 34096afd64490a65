/** For command tests: run in-process with everything written to stdout and stderr captured instead of printed. */
import type { CliCommand } from '../args.js';

export interface Captured<T> {
  readonly value: T;
  readonly stdout: string;
  readonly stderr: string;
}

export async function captureOutput<T>(fn: () => Promise<T>): Promise<Captured<T>> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string) => ((stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((stderr += chunk), true)) as typeof process.stderr.write;
  try {
    const value = await fn();
    return { value, stdout, stderr };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

/** Runs `command` with `argv`: its exit code and what it wrote. */
export async function runCommand(command: CliCommand, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { value, stdout, stderr } = await captureOutput(() => command.run(argv));
  return { code: value, stdout, stderr };
}
