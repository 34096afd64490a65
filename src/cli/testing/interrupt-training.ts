/**
 * For tests of Ctrl-C in `toolken train ...`: runs the CLI as a real process, sends SIGINT once the run has logged
 * a few steps, and checks what a user sees — exit 130, the message naming the checkpoint and --resume, no stack
 * trace, exactly one checkpoint (the runs are started without periodic ones, so only the interruption wrote it).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SOURCE_CLI } from './source-cli.js';

/** `toolken train ...args` writing its run to `out`, interrupted; returns the step its checkpoint holds. */
export async function interruptTraining(args: readonly string[], out: string): Promise<number> {
  const child = spawn(process.execPath, [...SOURCE_CLI, 'train', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let code: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
  const metrics = join(out, 'metrics.jsonl');
  while (!(existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3)) {
    assert.equal(code, undefined, `the training ended before it was interrupted: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGINT');
  assert.equal(await exited, 130, stderr);
  assert.match(stderr, /interrupted \(Ctrl-C\): a checkpoint of the last step is in .*; run the same command with --resume to continue from it/);
  assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
  const checkpoints = readdirSync(join(out, 'checkpoints')).filter((name) => name.startsWith('step-'));
  assert.equal(checkpoints.length, 1);
  return Number(checkpoints[0]!.slice('step-'.length));
}

/** The training steps metrics.jsonl of `out` logged, in order. */
export function loggedSteps(out: string): number[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; split: string }).filter((r) => r.split === 'train').map((r) => r.step);
}
