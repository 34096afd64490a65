/**
 * The scheduler as the server drives it: requests in flight together share decode steps (one batched decode over
 * their slots) without changing what any of them gets, and every request keeps to its token budget.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { inProcessRunner, type ModelRunner } from './model-runner.js';
import { createToolkenServer } from './server.js';
import { tinyServedModel } from './testing-model.js';

const model = tinyServedModel('tiny');
const SLOTS = 4;

/** The in-process runner, recording how many slots each batched decode advanced. */
function countingRunner(batches: number[]): ModelRunner {
  const inner = inProcessRunner(model.source.model!, SLOTS, model.contextLength);
  return {
    vocabSize: inner.vocabSize,
    prefill: (slot, tokens) => inner.prefill(slot, tokens),
    decode: (slots, tokens) => {
      batches.push(slots.length);
      return inner.decode(slots, tokens);
    },
    resetSequence: (slot) => inner.resetSequence(slot),
    close: () => inner.close(),
  };
}

const batches: number[] = [];
const server = createToolkenServer(model, { runner: countingRunner(batches), slots: SLOTS, maxTokens: 32 });
const { port } = await server.listen(0, '127.0.0.1');
after(() => server.close());

interface Reply {
  status: number;
  body: {
    choices?: { message: { content: string | null }; finish_reason: string }[];
    usage?: { completion_tokens: number };
    error?: { param: string | null };
  };
}

async function complete(body: Record<string, unknown>): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'What is the weather in Paris?' }], ...body }),
  });
  return { status: res.status, body: (await res.json()) as Reply['body'] };
}

test('requests in flight together share batched decode steps, and each gets what it gets alone', async () => {
  const seeds = [1, 2, 3, 4];
  const request = (seed: number): Record<string, unknown> => ({ seed, temperature: 1, max_tokens: 24 });
  const alone: Reply[] = [];
  for (const seed of seeds) alone.push(await complete(request(seed)));
  assert.ok(batches.every((size) => size === 1), 'one request at a time decodes one slot per step');
  batches.length = 0;
  const together = await Promise.all(seeds.map((seed) => complete(request(seed))));
  assert.ok(Math.max(...batches) >= 2, `some decode step advanced several requests (batch sizes ${[...new Set(batches)].join(', ')})`);
  assert.ok(Math.max(...batches) <= SLOTS);
  assert.deepEqual(
    together.map((r) => [r.status, r.body.choices![0]!.message.content, r.body.choices![0]!.finish_reason]),
    alone.map((r) => [r.status, r.body.choices![0]!.message.content, r.body.choices![0]!.finish_reason]),
  );
});

test('the token budget: a turn ends with finish_reason length at max_tokens, which defaults to and may not pass the server cap', async () => {
  const over = await complete({ max_tokens: 33 });
  assert.equal(over.status, 400);
  assert.equal(over.body.error!.param, 'max_tokens');
  let cut = 0;
  for (let seed = 0; seed < 6; seed++) {
    for (const [maxTokens, budget] of [[5, 5], [undefined, 32]] as const) {
      const reply = await complete({ seed, temperature: 1, ...(maxTokens === undefined ? {} : { max_tokens: maxTokens }) });
      assert.equal(reply.status, 200);
      const used = reply.body.usage!.completion_tokens;
      const finish = reply.body.choices![0]!.finish_reason;
      assert.ok(used <= budget, `${used} tokens within the budget of ${budget}`);
      assert.equal(finish === 'length', used === budget, `finish ${finish} after ${used} of ${budget} tokens`);
      if (finish === 'length') cut++;
    }
  }
  assert.ok(cut > 0, 'some turn ran into its budget');
});
