// GRPO: group-normalised advantages and the clipped, KL-penalised loss against hand computations on fixed
// log-probs (value and gradient), and a tiny LoRA policy whose mean reward rises under GRPO on a toy task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { grad } from '../../tensor/autograd.js';
import { tensor } from '../../tensor/tensor.js';
import { RunDirectory } from '../run-dir.js';
import { tinyLoraPolicy } from '../testing/tiny-policy.js';
import { defaultTrainerConfig, Trainer } from '../trainer.js';
import { GrpoObjective, groupAdvantages, grpoLoss, type GrpoSettings } from './grpo.js';

test('advantages are (r - mean) / (sample std + eps) within each group; an all-equal group gets 0', () => {
  const got = groupAdvantages([1, 0, 0, 1, 3, 3, 3, 3, 2, 0, 1, 1], 4, 1e-4);
  const std = Math.sqrt(1 / 3); // deviations +-0.5 four times, over n - 1 = 3
  const expected = [0.5, -0.5, -0.5, 0.5].map((d) => d / (std + 1e-4));
  const std3 = Math.sqrt((1 + 1 + 0 + 0) / 3); // rewards 2, 0, 1, 1 around their mean 1
  expected.push(0, 0, 0, 0, ...[1, -1, 0, 0].map((d) => d / (std3 + 1e-4)));
  got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-12, `${i}: ${v} vs ${expected[i]}`));
  assert.throws(() => groupAdvantages([1, 2, 3], 2, 1e-4), /3 rewards do not form groups of 2/);
  assert.throws(() => groupAdvantages([1], 1, 1e-4), /group size must be an integer >= 2/);
});

test('the GRPO loss and its gradient equal the DeepSeekMath formula computed by hand, clipping included', () => {
  // Four tokens: ratios e^0.1 (inside the clip), e^0.4 with A > 0 (clipped at 1.2), e^-0.5 with A < 0 (clipped at
  // 0.8) and 1; the KL is against a reference above and below the policy.
  const lp = [-1.0, -0.5, -2.0, -0.2];
  const old = [-1.1, -0.9, -1.5, -0.2];
  const ref = [-1.2, -0.4, -2.0, -0.3];
  const adv = [1, 1, -0.5, 2];
  const w = [0.25, 0.25, 0.2, 0.3];
  const beta = 0.04;
  const e = 0.2;
  let expectedLoss = 0;
  let expectedKl = 0;
  const expectedGrad: number[] = [];
  lp.forEach((l, i) => {
    const ratio = Math.exp(l - old[i]!);
    const clipped = Math.min(Math.max(ratio, 1 - e), 1 + e);
    const unclippedWins = ratio * adv[i]! <= clipped * adv[i]!;
    const surrogate = Math.min(ratio * adv[i]!, clipped * adv[i]!);
    const d = ref[i]! - l;
    const kl = Math.exp(d) - d - 1;
    expectedLoss -= w[i]! * (surrogate - beta * kl);
    expectedKl += w[i]! * kl;
    expectedGrad.push(-w[i]! * ((unclippedWins ? ratio * adv[i]! : 0) - beta * (1 - Math.exp(d))));
  });
  // By hand for the first token: -0.25 * (e^0.1 * 1 - 0.04 * (e^-0.2 + 0.2 - 1)) = -0.276105...
  assert.ok(Math.abs(-0.25 * (Math.exp(0.1) - 0.04 * (Math.exp(-0.2) + 0.2 - 1)) - -0.2761054) < 1e-6);
  const logProbs = tensor(lp, [4]).requireGrad();
  const f32 = (v: number[]): Float32Array => Float32Array.from(v);
  const tokens = { old: f32(old), reference: f32(ref), advantages: f32(adv), weights: f32(w) };
  const terms = grpoLoss(logProbs, tokens, { beta, clipRange: e });
  assert.ok(Math.abs(terms.loss.item() - expectedLoss) < 1e-6, `loss ${terms.loss.item()} vs ${expectedLoss}`);
  assert.ok(Math.abs(terms.kl - expectedKl) < 1e-6, `kl ${terms.kl} vs ${expectedKl}`);
  assert.ok(Math.abs(terms.clipFraction - (0.25 + 0.2)) < 1e-6);
  const [g] = grad(() => grpoLoss(logProbs, tokens, { beta, clipRange: e }).loss, [logProbs]);
  g!.toArray().forEach((v, i) => assert.ok(Math.abs(v - expectedGrad[i]!) < 1e-6, `token ${i}: ${v} vs ${expectedGrad[i]}`));
  // A clipped token's surrogate gradient is 0: only its KL term remains.
  assert.ok(Math.abs(expectedGrad[1]! - -0.25 * -beta * (1 - Math.exp(0.1))) < 1e-12);
});

test('at pi = pi_old = pi_ref the loss is -(weighted mean advantage) and its gradient the policy gradient', () => {
  const lp = Float32Array.from([-0.7, -1.3, -0.1]);
  const logProbs = tensor(lp, [3]).requireGrad();
  const tokens = { old: lp, reference: lp, advantages: Float32Array.from([1, -1, 0.5]), weights: Float32Array.from([0.5, 0.25, 0.25]) };
  const terms = grpoLoss(logProbs, tokens, { beta: 0.1, clipRange: 0.2 });
  assert.ok(Math.abs(terms.loss.item() - -(0.5 - 0.25 + 0.125)) < 1e-6);
  assert.equal(terms.kl, 0);
  const [g] = grad(() => grpoLoss(logProbs, tokens, { beta: 0.1, clipRange: 0.2 }).loss, [logProbs]);
  assert.deepEqual(Array.from(g!.toArray(), (v) => Math.round(v * 1e6) / 1e6), [-0.5, 0.25, -0.125]);
});

/** Token ids as text: the toy task's decoder. */
const decoder = { decode: (tokens: readonly number[]): string => tokens.join(' ') };
const settings: GrpoSettings = {
  batchSize: 3, groupSize: 8, beta: 0.04, clipRange: 0.2, advantageEpsilon: 1e-4, padId: 0, seed: 5,
  sampling: { temperature: 1, maxTokens: 2, stopTokens: [2], decoder },
};
const prompts = [3, 4, 6, 7, 8, 9].map((x) => ({ tokens: [1, x] }));
/** The toy task: a completion earns 1 when its text starts with token 5. */
const startsWithFive = (_: { tokens: readonly number[] }, text: string): number => (text.split(' ')[0] === '5' ? 1 : 0);

test('a tiny policy\'s mean reward rises under GRPO on a toy task (the completion must start with token 5)', () => {
  const model = tinyLoraPolicy(2, false);
  const objective = new GrpoObjective({ model, prompts, validation: prompts, reward: startsWithFive, settings });
  const before = objective.meanReward(prompts);
  const config = { ...defaultTrainerConfig, epochs: 12, lr: 5e-2, warmup: 0, schedule: 'constant' as const };
  const run = RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-grpo-')), 'run'), { resume: false });
  const result = new Trainer({ model, objective, config }).train({ run, showProgress: false });
  const after = objective.meanReward(prompts);
  assert.equal(result.steps, 24);
  assert.ok(before < 0.3 && after > before + 0.4, `mean reward ${before} -> ${after}`);
  const steps = run.readMetrics().filter((r) => r.split === 'train');
  assert.ok(steps.every((r) => typeof r.kl === 'number' && r.kl >= 0 && typeof r.reward_mean === 'number'));
  assert.ok((steps.at(-1)!.kl as number) > 0, 'the policy has moved away from its reference');
  const validation = run.readMetrics().find((r) => r.split === 'validation');
  assert.ok(validation !== undefined && Math.abs((validation.val_reward as number) - after) < 1e-9);
});

test('GRPO samples the same groups for the same weights and batch, and refuses groups of one and non-finite rewards', () => {
  const lossOf = (): number => {
    const model = tinyLoraPolicy(4, true);
    const objective = new GrpoObjective({ model, prompts, reward: startsWithFive, settings });
    return objective.loss(objective.batches(1)[1]!).loss.item();
  };
  assert.equal(lossOf(), lossOf());
  const model = tinyLoraPolicy(4, false);
  assert.throws(() => new GrpoObjective({ model, prompts, reward: startsWithFive, settings: { ...settings, groupSize: 1 } }), /groupSize must be an integer >= 2/);
  assert.throws(() => new GrpoObjective({ model, prompts: [{ tokens: [] }], reward: startsWithFive, settings }), /training prompt 0 is empty/);
  const broken = new GrpoObjective({ model, prompts, reward: () => NaN, settings });
  assert.throws(() => broken.loss(broken.batches(0)[0]!), /reward of a completion of prompt 0 is NaN/);
});
