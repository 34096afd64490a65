/**
 * For tests that run the CLI as a real process: Node arguments that run `main` from source through tsx, since
 * bin/toolken.js runs the compiled dist/, which a worktree may not have built. Spawn `process.execPath` with
 * `[...SOURCE_CLI, ...argv]`, or start a serving command with `startServingCli`.
 */
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

export const SOURCE_CLI: readonly string[] = [
  '--import', 'tsx', '--input-type=module', '--eval', `const { main } = await import(${JSON.stringify(main)}); process.exitCode = await main(process.argv.slice(1));`, '--',
];

export interface ServingCli {
  /** The first group of `announce` as the command wrote it to stderr: the address it listens on. */
  readonly address: string;
  /** Sends SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the CLI from source with `argv` (a command that serves until stopped, such as `serve`, `mcp --http` or
 * `dashboard`) and waits until its stderr matches `announce`. Rejects with that stderr if the command exits first;
 * the process is killed when test `t` ends, whatever happened.
 */
export async function startServingCli(t: TestContext, argv: readonly string[], announce: RegExp): Promise<ServingCli> {
  const child = spawn(process.execPath, [...SOURCE_CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const address = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = announce.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`${argv[0]} exited with ${code}: ${stderr}`)));
  });
  return {
    address,
    stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exited;
    },
  };
}
