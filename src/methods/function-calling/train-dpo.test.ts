// DPO after SFT: pairs mined from the SFT model's own checker-rejected samples against the gold call, the SFT model
// (adapters off) as the reference, a run directory that resumes on the same pairs, and a PEFT adapter that stacks the
// SFT adapter with the new one.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadLoraAdapter, loraUpdates } from '../../models/lora.js';
import { noGrad } from '../../tensor/autograd.js';
import { RunDirectory } from '../../train/run-dir.js';
import { fcReward } from './reward.js';
import { tinyConfig, tinyExamples, tinyModel, tinyPolicyLora as lora, tinyRender, tinySampling as sampling, tinySftModel, tinyTokenizer, weatherExample } from './testing/tiny-fc.js';
import { trainFunctionCallingDpo } from './train-dpo.js';
import { fcPrompt, startPolicy } from './train-policy.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-fc-dpo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tokenizer = tinyTokenizer();

test('DPO mines pairs from checker-rejected samples, trains against the SFT model, and resumes on the same pairs', async () => {
  const { model } = await tinySftModel(tokenizer, 100, 'full', 2e-2);
  const run = RunDirectory.open(join(dir, 'run'), { resume: false });
  const options = { model, tokenizer, train: tinyExamples, validation: tinyExamples.slice(0, 2), render: tinyRender, adapter: { kind: 'lora' as const, lora }, sampling, run, beta: 0.1, pairsPerPrompt: 2, config: tinyConfig(tokenizer, { epochs: 2, checkpointEvery: 1 }), showProgress: false };
  const result = await trainFunctionCallingDpo(options);
  const { train } = result;
  assert.equal(train.prompts, 4);
  assert.equal(train.sampled, 24);
  assert.ok(train.pairs.length > 0 && train.pairs.length <= 8, `${train.pairs.length} pairs`);
  const pairsOf = new Map<string, number>();
  train.sources.forEach((s) => pairsOf.set(s.id, (pairsOf.get(s.id) ?? 0) + 1));
  assert.equal(train.prompts - pairsOf.size, train.skippedAllCorrect);
  train.pairs.forEach((pair, i) => {
    const example = tinyExamples.find((e) => e.id === train.sources[i]!.id)!;
    // The chosen answer is the gold call as SFT renders it (through the end of turn); the rejected one fails the checker.
    assert.deepEqual(pair.chosen, fcPrompt(tokenizer, example, tinyRender, [tokenizer.eosId!]).chosen);
    assert.equal(fcReward(example, tokenizer.decode(pair.chosen.slice(0, -1)), { style: 'prompting' }), 1);
    assert.equal(fcReward(example, train.sources[i]!.rejected, { style: 'prompting' }), 0);
    assert.notDeepEqual(pair.rejected, pair.chosen);
  });
  const metrics = run.readMetrics();
  assert.ok(metrics.some((m) => m.split === 'train' && typeof m.reward_margin === 'number'));
  assert.ok(existsSync(join(run.path, 'dpo-pairs.json')));
  const adapter = JSON.parse(readFileSync(join(result.finalDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([adapter['peft_type'], adapter['r']], ['LORA', 2]);

  // Resumed from its last checkpoint, the run reads the mined pairs back rather than sampling again.
  const again = (await tinySftModel(tokenizer, 100, 'full', 2e-2)).model;
  const resumed = await trainFunctionCallingDpo({ ...options, model: again, run: RunDirectory.open(join(dir, 'run'), { resume: true }), config: tinyConfig(tokenizer, { epochs: 3, checkpointEvery: 1 }) });
  assert.deepEqual(resumed.train, train);
  assert.equal(resumed.dpo.resumedFrom, result.dpo.steps);
});

test('an SFT LoRA is merged into the reference and stacked with the new adapter in final/: base + final/ is the trained policy', async () => {
  const { model } = await tinySftModel(tokenizer, 4, 'lora', 5e-2);
  const sftRank = [...loraUpdates(model).values()][0]!.rank;
  const result = await trainFunctionCallingDpo({
    model, tokenizer, train: tinyExamples, render: tinyRender, adapter: { kind: 'lora', lora }, sampling, beta: 0.1,
    run: RunDirectory.open(join(dir, 'stacked'), { resume: false }), config: tinyConfig(tokenizer, { epochs: 2, lr: 5e-2 }), showProgress: false,
  });
  const adapter = JSON.parse(readFileSync(join(result.finalDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(adapter['r'], sftRank + lora.rank);
  const prompt = fcPrompt(tokenizer, tinyExamples[0]!, tinyRender, [tokenizer.eosId!]);
  const ids = Int32Array.from([...prompt.tokens, ...prompt.chosen]);
  const targets = Int32Array.from([...ids.slice(1), -100]);
  const logProbs = (m: typeof model): number => noGrad(() => m.sequenceLogProbs(ids, targets, 1, ids.length).toArray()[0]!);
  // The same random base (tinyModel's seed) with the stacked adapter scores like the trained policy.
  const reloaded = tinyModel(tokenizer);
  loadLoraAdapter(reloaded, result.finalDir);
  assert.ok(Math.abs(logProbs(reloaded) - logProbs(model)) < 1e-3, `${logProbs(reloaded)} vs ${logProbs(model)}`);
});

test('a prompt the SFT model always answers right gives no pair; with no pair at all DPO says what to change', async () => {
  const paris = [weatherExample('Paris', 3)];
  // Trained on one example alone, the model answers it right every time at a low temperature.
  const { model } = await tinySftModel(tokenizer, 60, 'full', 2e-2, paris);
  const options = { model, tokenizer, train: paris, render: tinyRender, adapter: { kind: 'lora' as const, lora }, sampling: { ...sampling, temperature: 0.05 }, beta: 0.1, config: tinyConfig(tokenizer), showProgress: false };
  await assert.rejects(
    () => trainFunctionCallingDpo({ ...options, run: RunDirectory.open(join(dir, 'memorised'), { resume: false }) }),
    /DPO: no pair mined: the SFT model answered all 1 prompts right in every one of its 6 samples each .*sample more per prompt, raise the temperature/,
  );
  const mined = JSON.parse(readFileSync(join(dir, 'memorised', 'dpo-pairs.json'), 'utf8')) as { train: { skippedAllCorrect: number } };
  assert.equal(mined.train.skippedAllCorrect, 1);
  assert.throws(() => startPolicy({ model: tinyModel(tokenizer), tokenizer, adapter: { kind: 'full' } }), /needs a frozen copy of the SFT model as the reference/);
});
