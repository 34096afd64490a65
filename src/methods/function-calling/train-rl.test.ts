// RL after SFT with the AST reward: reward-filtered fine-tuning keeps exactly the checker's passes among the SFT
// model's samples and trains on them; GRPO samples groups, rewards them with the checker and logs reward and KL.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { IGNORE_INDEX } from '../../models/decoder.js';
import { RunDirectory } from '../../train/run-dir.js';
import { fcReward } from './reward.js';
import { tinyConfig, tinyExamples, tinyModel, tinyPolicyLora as lora, tinyRender, tinySampling as sampling, tinySftModel, tinyTokenizer } from './testing/tiny-fc.js';
import { trainFunctionCallingRl } from './train-rl.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-fc-rl-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tokenizer = tinyTokenizer();

test('reward filtering trains on the checker-accepted samples only, and resumes on the same ones', async () => {
  const { model } = await tinySftModel(tokenizer, 100, 'full', 2e-2);
  const options = {
    model, tokenizer, method: 'filtered' as const, train: tinyExamples, validation: tinyExamples.slice(0, 1), render: tinyRender,
    adapter: { kind: 'lora' as const, lora }, sampling, config: tinyConfig(tokenizer, { epochs: 2, checkpointEvery: 1 }), showProgress: false,
  };
  const run = RunDirectory.open(join(dir, 'filtered'), { resume: false });
  const result = await trainFunctionCallingRl({ ...options, run });
  const filtered = result.filtered!;
  assert.equal(result.prompts, 4);
  assert.equal(filtered.sampled, 24);
  assert.ok(filtered.accepted > 0 && filtered.examples.length <= filtered.accepted);
  for (const example of filtered.examples) {
    // Each kept example is a prompt plus an answer the checker accepts, labelled on the answer only.
    const answer = Array.from(example.inputIds).filter((_, i) => example.labels[i] !== IGNORE_INDEX);
    const text = tokenizer.decode(answer.filter((id) => id !== tokenizer.eosId));
    assert.ok(tinyExamples.some((e) => fcReward(e, text, { style: 'prompting' }) === 1), text);
  }
  assert.ok(existsSync(join(run.path, 'filtered.json')));
  assert.ok(run.readMetrics().some((m) => m.split === 'validation' && typeof m.val_loss === 'number'));
  assert.ok(existsSync(join(result.finalDir, 'adapter_model.safetensors')));
  const resumed = await trainFunctionCallingRl({ ...options, model: (await tinySftModel(tokenizer, 100, 'full', 2e-2)).model, run: RunDirectory.open(join(dir, 'filtered'), { resume: true }), config: tinyConfig(tokenizer, { epochs: 3, checkpointEvery: 1 }) });
  assert.deepEqual(resumed.filtered, filtered);
  assert.equal(resumed.train.resumedFrom, result.train.steps);
});

test('GRPO rewards groups with the checker (partial credit on request) and logs reward and KL to the SFT model', async () => {
  const { model } = await tinySftModel(tokenizer, 100, 'full', 2e-2);
  const run = RunDirectory.open(join(dir, 'grpo'), { resume: false });
  const result = await trainFunctionCallingRl({
    model, tokenizer, method: 'grpo', train: tinyExamples, validation: tinyExamples.slice(0, 2), render: tinyRender, run,
    adapter: { kind: 'lora', lora }, sampling: { ...sampling, samples: 4 }, grpo: { beta: 0.04, clipRange: 0.2, partialCredit: true },
    config: tinyConfig(tokenizer, { epochs: 3, batchSize: 2, lr: 5e-2 }), showProgress: false,
  });
  assert.equal(result.train.steps, 6);
  const steps = run.readMetrics().filter((m) => m.split === 'train');
  assert.equal(steps.length, 6);
  for (const m of steps) {
    assert.ok((m.reward_mean as number) >= 0 && (m.reward_mean as number) <= 1);
    assert.ok((m.kl as number) >= 0);
  }
  // Partial credit: a tiny SFT model's answers mostly decode and name the function, so rewards are not all 0 or 1.
  assert.ok(steps.some((m) => (m.reward_mean as number) > 0 && (m.reward_mean as number) < 1));
  assert.ok(run.readMetrics().some((m) => m.split === 'validation' && typeof m.val_reward === 'number'));
  const adapter = JSON.parse(readFileSync(join(result.finalDir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(adapter['r'], 2);
});

test('RL says what to change when no prompt fits or nothing passes', async () => {
  const common = { tokenizer, train: tinyExamples, render: tinyRender, adapter: { kind: 'lora' as const, lora }, sampling, showProgress: false };
  await assert.rejects(
    () => trainFunctionCallingRl({ ...common, model: tinyModel(tokenizer), method: 'grpo', run: RunDirectory.open(join(dir, 'long'), { resume: false }), config: tinyConfig(tokenizer, { maxLength: 8 }) }),
    /none of the 4 training examples fits: raise maxLength \(8\)/,
  );
  await assert.rejects(
    () => trainFunctionCallingRl({ ...common, model: tinyModel(tokenizer), method: 'filtered', run: RunDirectory.open(join(dir, 'none'), { resume: false }), config: tinyConfig(tokenizer) }),
    /none of the 24 sampled answers passed the BFCL checker/,
  );
});
