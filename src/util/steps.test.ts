import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCancellable, runToEnd, type Stepwise } from './steps.js';

function* countTo(n: number, log: string[]): Stepwise<number> {
  try {
    for (let i = 1; i <= n; i++) {
      log.push(`step ${i}`);
      yield;
    }
    return n;
  } catch (reason) {
    log.push(`cleanup after ${String(reason)}`);
    throw reason;
  }
}

test('runToEnd runs every step synchronously and returns the result', () => {
  const log: string[] = [];
  assert.equal(runToEnd(countTo(3, log)), 3);
  assert.deepEqual(log, ['step 1', 'step 2', 'step 3']);
});

test('runCancellable lets timers run between steps and returns the same result', async () => {
  const log: string[] = [];
  const timer = new Promise<void>((resolve) => setImmediate(() => { log.push('timer'); resolve(); }));
  assert.equal(await runCancellable(countTo(3, log)), 3);
  await timer;
  assert.ok(log.indexOf('timer') > 0 && log.indexOf('timer') < log.length - 1, `the timer ran between steps: ${log.join(', ')}`);
});

test('an abort is thrown into the computation at its pause, so its cleanup runs before the promise rejects', async () => {
  const log: string[] = [];
  const controller = new AbortController();
  const run = runCancellable(countTo(1000, log), controller.signal);
  setImmediate(() => controller.abort('stop pressed'));
  await assert.rejects(run, (reason: unknown) => reason === 'stop pressed');
  assert.ok(log.length < 1000, 'the run stopped early');
  assert.equal(log.at(-1), 'cleanup after stop pressed');
});

test('an already-aborted signal rejects before the first step', async () => {
  const log: string[] = [];
  await assert.rejects(runCancellable(countTo(3, log), AbortSignal.abort('too late')), (reason: unknown) => reason === 'too late');
  assert.deepEqual(log, []);
});
