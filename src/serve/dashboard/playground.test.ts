import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FINISH_FUNCTION } from '../../methods/toolgen/examples.js';
import { MAX_K, PlaygroundBusyError, PlaygroundInputError } from './playground.js';
import { PLAYGROUND_TOOLS, tinyPlayground } from './testing-playground.js';

const playground = await tinyPlayground();
const indexed = new Set([...PLAYGROUND_TOOLS.map((t) => t.id), FINISH_FUNCTION]);

test('a request gets the top-k tools of the constrained search with probabilities, then the agent steps', async () => {
  const answer = await playground.answer('  Add 2 and 3, then square the result.  ', 3);
  assert.equal(answer.request, 'Add 2 and 3, then square the result.');
  assert.equal(answer.tools.length, 3);
  for (const t of answer.tools) {
    assert.ok(indexed.has(t.toolId), `${t.toolId} is an indexed tool`);
    assert.ok(t.probability > 0 && t.probability <= 1);
    assert.ok(Math.abs(Math.exp(t.logProb) - t.probability) < 1e-12);
  }
  assert.ok(answer.tools.every((t, i) => i === 0 || t.logProb <= answer.tools[i - 1]!.logProb), 'best first');
  assert.ok(Math.abs(answer.tools.reduce((s, t) => s + t.share, 0) - 1) < 1e-9, 'the shares of the top k sum to 1');
  assert.ok(answer.steps.length >= 1 && answer.steps.length <= 2, 'bounded by the loop settings');
  for (const step of answer.steps) {
    assert.ok(indexed.has(step.action), `the action ${step.action} is a catalog tool or Finish`);
    assert.doesNotThrow(() => JSON.parse(step.arguments), 'arguments decoded under the schema are JSON');
  }
  assert.match(answer.finishType, /^(give_answer|give_up|step_limit)$/);
});

test('empty, oversized and out-of-range requests are refused with the field named; one request runs at a time', async () => {
  await assert.rejects(playground.answer('   ', 3), (err: unknown) => err instanceof PlaygroundInputError && /request: empty/.test(err.message));
  await assert.rejects(playground.answer('x'.repeat(5000), 3), /request: 5000 characters, over the limit/);
  await assert.rejects(playground.answer('add', 0), /k: must be an integer in \[1, 20\]/);
  await assert.rejects(playground.answer('add', MAX_K + 1), /k: must be an integer/);
  const first = playground.answer('Add 1 and 2.', 2);
  await assert.rejects(playground.answer('Add 3 and 4.', 2), PlaygroundBusyError);
  await first;
  await playground.answer('Add 3 and 4.', 1);
});
