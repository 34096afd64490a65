// Reward-filtered fine-tuning: the kept examples are exactly the checked passes of the policy's own samples, and
// training on them through the SFT objective raises the pass rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IGNORE_INDEX } from '../batches.js';
import { RunDirectory } from '../run-dir.js';
import { tinyLoraPolicy } from '../testing/tiny-policy.js';
import { Trainer } from '../trainer.js';
import { sampleCompletions, type CompletionSampling } from './policy.js';
import { rewardFilteredExamples, rewardFilteredExamplesAsync, rewardFilteredObjective } from './reward-filtered.js';
import { defaultSftConfig } from './sft.js';

const sampling: CompletionSampling = { temperature: 1, maxTokens: 2, stopTokens: [2], decoder: { decode: (tokens) => tokens.join(' ') } };
const prompts = [3, 4, 6, 7, 8, 9].map((x) => ({ tokens: [1, x] }));
/** The check: the completion starts with token 5. */
const startsWithFive = (_: { tokens: readonly number[] }, text: string): boolean => text.split(' ')[0] === '5';

function passRate(model: ReturnType<typeof tinyLoraPolicy>, seed: number): number {
  const all = sampleCompletions(model, prompts.map((p) => p.tokens), 16, sampling, seed).flat();
  return all.filter((c) => c.text.split(' ')[0] === '5').length / all.length;
}

test('reward filtering keeps each distinct accepted completion as an example labelled on the completion only', () => {
  const model = tinyLoraPolicy(2, false);
  const options = { model, prompts, accept: startsWithFive, samples: 12, sampling, seed: 9, showProgress: false };
  const filtered = rewardFilteredExamples(options);
  const groups = sampleCompletions(model, prompts.map((p) => p.tokens), 12, sampling, 9);
  const passing = groups.map((g) => g.filter((c) => c.tokens[0] === 5));
  assert.deepEqual(filtered.passes, passing.map((g) => g.length));
  assert.ok(filtered.passes.reduce((a, b) => a + b, 0) > 0, 'some samples pass');
  const distinct = passing.flatMap((g) => [...new Set(g.map((c) => c.tokens.join(',')))].map((key) => ({ prompt: g[0]!.prompt, tokens: key.split(',').map(Number) })));
  assert.deepEqual(filtered.examples.map((e) => Array.from(e.inputIds)), distinct.map((d) => [...d.prompt, ...d.tokens]));
  for (const e of filtered.examples) assert.deepEqual(Array.from(e.labels), Array.from(e.inputIds, (id, i) => (i < 2 ? IGNORE_INDEX : id)));
  assert.equal(filtered.sampled, 72);
  // On request a pass sampled k times is kept k times.
  const duplicates = rewardFilteredExamples({ ...options, keepDuplicates: true });
  assert.equal(duplicates.examples.length, filtered.passes.reduce((a, b) => a + b, 0));
});

test('reward filtering run cancellably keeps the same passes, and an abort stops it after the batch of prompts in progress', async () => {
  const model = tinyLoraPolicy(2, false);
  const options = { model, prompts, accept: startsWithFive, samples: 12, sampling, seed: 9, showProgress: false, promptsPerBatch: 2 };
  assert.deepEqual(await rewardFilteredExamplesAsync(options), rewardFilteredExamples(options));
  const controller = new AbortController();
  let checked = 0;
  const stopped = rewardFilteredExamplesAsync({ ...options, signal: controller.signal, accept: (p, text) => (++checked === 1 && controller.abort(new Error('stop')), startsWithFive(p, text)) });
  await assert.rejects(stopped, /stop/);
  assert.equal(checked, 2 * 12, 'only the first batch of two prompts was sampled and checked');
});

test('training on the filtered passes through the SFT objective raises the pass rate of fresh samples', () => {
  const model = tinyLoraPolicy(2, false);
  const before = passRate(model, 100);
  const settings = { ...defaultSftConfig, epochs: 20, batchSize: 4, lr: 2e-2, warmup: 0, schedule: 'constant' as const };
  const { objective, filtered } = rewardFilteredObjective({ model, prompts, accept: startsWithFive, samples: 12, sampling, seed: 9, settings, showProgress: false });
  const run = RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-rft-')), 'run'), { resume: false });
  new Trainer({ model, objective, config: settings }).train({ run, showProgress: false });
  const after = passRate(model, 100);
  assert.ok(filtered.examples.length > 0);
  assert.ok(after > before + 0.3, `pass rate ${before} -> ${after}`);
});

test('reward filtering says what to change when nothing passes', () => {
  const model = tinyLoraPolicy(2, false);
  assert.throws(
    () => rewardFilteredObjective({ model, prompts, accept: () => false, samples: 2, sampling, seed: 1, settings: defaultSftConfig, showProgress: false }),
    /none of the 12 sampled completions passed the check.*sample more per prompt, raise the temperature/,
  );
});
