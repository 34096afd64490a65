/**
 * A playground on a worker thread answers as the same playground on this thread does, keeps the dashboard's error
 * kinds (bad input, busy), stops a request when its signal aborts, and reports a setup that fails.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PlaygroundBusyError, PlaygroundInputError, type PlaygroundAnswer } from './playground.js';
import { PlaygroundWorkerError, startPlaygroundWorker } from './playground-worker.js';
import { tinyPlayground } from './testing-playground.js';

const entry = new URL('./testing-playground-thread.js', import.meta.url);
const remote = await startPlaygroundWorker(entry, null);
after(() => remote.close());

/** The answer without its timing. */
const stable = ({ seconds: _, ...rest }: PlaygroundAnswer): Omit<PlaygroundAnswer, 'seconds'> => rest;

test('the worker answers exactly as the playground on this thread, and passes its warnings on', async () => {
  assert.deepEqual(remote.warnings, ['a tiny untrained model']);
  const local = await tinyPlayground();
  for (const request of ['Add 2 and 3', 'What is the weather in Paris?']) {
    assert.deepEqual(stable(await remote.answer(request, 3)), stable(await local.answer(request, 3)));
  }
});

test('bad input comes back as the input error the dashboard answers with 400; two requests at once, one is busy', async () => {
  await assert.rejects(remote.answer('  ', 3), (err: unknown) => err instanceof PlaygroundInputError && /request: empty/.test(err.message));
  const results = await Promise.allSettled([remote.answer('Add 2 and 3', 2), remote.answer('Add 4 and 5', 2)]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const refused = results.find((r) => r.status === 'rejected');
  assert.ok(refused !== undefined && refused.reason instanceof PlaygroundBusyError);
});

test('an aborted request rejects at once with its reason, and the playground takes requests again afterwards', async () => {
  const controller = new AbortController();
  const pending = remote.answer('Add 2 and 3', 3, controller.signal);
  controller.abort(new Error('the page went away'));
  await assert.rejects(pending, /the page went away/);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      assert.equal((await remote.answer('Add 6 and 7', 2)).tools.length, 2);
      break;
    } catch (err) {
      // The stopped request releases the playground at its next step.
      if (!(err instanceof PlaygroundBusyError) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
});

test('a worker module that is not a playground host fails to start with the reason', async () => {
  await assert.rejects(startPlaygroundWorker(new URL('./playground.js', import.meta.url), null), (err: unknown) => err instanceof PlaygroundWorkerError && /exited/.test(err.message));
});
