// The DPO objective: its loss, metrics and gradient against a hand computation from log-probs taken apart from the
// training path (a float64 log-softmax of the generation path's full logits), its two reference policies, and a
// short run through the Trainer that separates chosen from rejected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecoderModel } from '../../models/decoder.js';
import { grad } from '../../tensor/autograd.js';
import { sum } from '../../tensor/ops/reduce.js';
import { tidy } from '../../tensor/scope.js';
import { tensor } from '../../tensor/tensor.js';
import { RunDirectory } from '../run-dir.js';
import { directLogProb, tinyLoraPolicy, tinyPolicyConfig } from '../testing/tiny-policy.js';
import { defaultTrainerConfig, Trainer } from '../trainer.js';
import { DpoObjective, defaultDpoSettings, logSigmoid, type PreferencePair } from './dpo.js';

const pairs: PreferencePair[] = [
  { prompt: [1, 5, 7], chosen: [3, 4, 2], rejected: [9, 2] },
  { prompt: [1, 6], chosen: [8, 8, 10, 2], rejected: [11, 3, 2] },
  { prompt: [1, 4, 4, 9], chosen: [5, 2], rejected: [6, 7, 2] },
];
const settings = { ...defaultDpoSettings, batchSize: 3, beta: 0.5, seed: 4 };

/** The DPO loss, margin and accuracy computed by hand from direct log-probs (policy and adapters-off reference). */
function byHand(model: DecoderModel, beta: number): { loss: number; margin: number; accuracy: number } {
  let loss = 0;
  let margin = 0;
  let accuracy = 0;
  for (const p of pairs) {
    const ratio = (completion: readonly number[]): number =>
      directLogProb(model, p.prompt, completion) - model.withAdaptersDisabled(() => directLogProb(model, p.prompt, completion));
    const m = beta * (ratio(p.chosen) - ratio(p.rejected));
    loss += Math.log1p(Math.exp(-m)) / pairs.length;
    margin += m / pairs.length;
    accuracy += (m > 0 ? 1 : 0) / pairs.length;
  }
  return { loss, margin, accuracy };
}

test('logSigmoid is log(sigmoid(z)) with gradient sigmoid(-z), also at 0 and where sigmoid underflows', () => {
  const z = [-200, -3, 0, 2.5, 200];
  const x = tensor(z, [z.length]);
  const got = logSigmoid(x).toArray();
  const [dz] = grad(() => sum(logSigmoid(x)), [x]);
  z.forEach((v, i) => {
    const expected = v < 0 ? v - Math.log1p(Math.exp(v)) : -Math.log1p(Math.exp(-v));
    assert.ok(Math.abs(got[i]! - expected) < 1e-4 * Math.max(1, Math.abs(expected)), `z=${v}: ${got[i]} vs ${expected}`);
    const slope = 1 / (1 + Math.exp(v));
    assert.ok(Math.abs(dz!.toArray()[i]! - slope) < 1e-6, `z=${v}: gradient ${dz!.toArray()[i]} vs ${slope}`);
  });
});

test('the DPO loss, reward margin and accuracy equal a hand computation from independently computed log-probs', () => {
  tidy(() => {
    const model = tinyLoraPolicy(3, true);
    const objective = new DpoObjective({ model, train: pairs, settings });
    const [batch] = objective.batches(0);
    assert.equal(batch!.pairs, 3);
    const got = objective.terms(batch!);
    const expected = byHand(model, settings.beta);
    assert.ok(Math.abs(expected.margin) > 0.05, `the adapters move the policy off the reference (margin ${expected.margin})`);
    assert.ok(Math.abs(got.loss.item() - expected.loss) < 1e-4, `loss ${got.loss.item()} vs ${expected.loss}`);
    assert.ok(Math.abs(got.margin - expected.margin) < 1e-4, `margin ${got.margin} vs ${expected.margin}`);
    assert.equal(got.accuracy, expected.accuracy);
    const metrics = objective.loss(batch!).metrics;
    assert.ok(Math.abs(metrics.reward_margin! - (metrics.reward_chosen! - metrics.reward_rejected!)) < 1e-6);
  });
});

test('with nllWeight the loss adds that weight times the chosen completions\' per-token NLL (RPO), by hand', () => {
  tidy(() => {
    const model = tinyLoraPolicy(3, true);
    const weighted = new DpoObjective({ model, train: pairs, settings: { ...settings, nllWeight: 0.5 } });
    const [batch] = weighted.batches(0);
    const nll = pairs.reduce((a, p) => a - directLogProb(model, p.prompt, p.chosen) / p.chosen.length / pairs.length, 0);
    const got = weighted.terms(batch!);
    assert.ok(Math.abs(got.chosenNll - nll) < 1e-4, `nll ${got.chosenNll} vs ${nll}`);
    const expected = byHand(model, settings.beta).loss + 0.5 * nll;
    assert.ok(Math.abs(got.loss.item() - expected) < 1e-4, `loss ${got.loss.item()} vs ${expected}`);
    const [g] = grad(() => weighted.loss(batch!).loss, [model.trainableParameters()[0]![1]]);
    const [plain] = grad(() => new DpoObjective({ model, train: pairs, settings }).loss(batch!).loss, [model.trainableParameters()[0]![1]]);
    assert.ok(g!.toArray().some((v, i) => Math.abs(v - plain!.toArray()[i]!) > 1e-6), 'the NLL term has a gradient');
    assert.throws(() => new DpoObjective({ model, train: pairs, settings: { ...settings, nllWeight: -1 } }), /nllWeight must be >= 0/);
  });
});

test('the DPO gradient matches central finite differences of the hand-computed loss', () => {
  tidy(() => {
    const model = tinyLoraPolicy(5, true);
    const objective = new DpoObjective({ model, train: pairs, settings });
    const [batch] = objective.batches(0);
    const params = model.trainableParameters().map(([, p]) => p);
    const grads = grad(() => objective.loss(batch!).loss, params).map((g) => g.toArray());
    const h = 5e-3;
    let checked = 0;
    params.forEach((p, pi) => {
      const data = p.backend.download(p.storage);
      for (const j of [0, Math.floor(p.size / 2), p.size - 1]) {
        const saved = data[j]!;
        data[j] = saved + h;
        const up = byHand(model, settings.beta).loss;
        data[j] = saved - h;
        const down = byHand(model, settings.beta).loss;
        data[j] = saved;
        const numeric = (up - down) / (2 * h);
        const analytic = grads[pi]![j]!;
        assert.ok(Math.abs(numeric - analytic) < 1e-3 + 2e-2 * Math.abs(numeric), `parameter ${pi} [${j}]: analytic ${analytic} vs numeric ${numeric}`);
        if (Math.abs(numeric) > 1e-3) checked++;
      }
    });
    assert.ok(checked > params.length, `${checked} non-trivial gradient entries checked`);
  });
});

test('at the start of DPO the policy equals its reference: loss log 2, margin 0; a frozen copy of the base gives the same', () => {
  tidy(() => {
    const model = tinyLoraPolicy(7, false);
    const frozenCopy = DecoderModel.random(tinyPolicyConfig, 7, 0.3);
    const perturbed = tinyLoraPolicy(7, true);
    const [batch] = new DpoObjective({ model, train: pairs, settings }).batches(0);
    const fresh = new DpoObjective({ model, train: pairs, settings }).terms(batch!);
    assert.ok(Math.abs(fresh.loss.item() - Math.log(2)) < 1e-5);
    assert.ok(Math.abs(fresh.margin) < 1e-5);
    // A trained policy against the base: its adapters switched off, or a separate frozen copy of the base weights.
    const adaptersOff = new DpoObjective({ model: perturbed, train: pairs, settings }).terms(batch!);
    const copy = new DpoObjective({ model: perturbed, train: pairs, settings, reference: frozenCopy }).terms(batch!);
    assert.ok(Math.abs(adaptersOff.loss.item() - copy.loss.item()) < 1e-5);
    assert.ok(Math.abs(adaptersOff.loss.item() - Math.log(2)) > 1e-3);
  });
});

test('DPO through the Trainer makes the policy prefer every chosen completion, and validation scores by accuracy', () => {
  const model = tinyLoraPolicy(11, false);
  const objective = new DpoObjective({ model, train: pairs, validation: pairs, settings: { ...settings, batchSize: 2 } });
  const before = objective.validate()!;
  const config = { ...defaultTrainerConfig, epochs: 30, lr: 2e-2, warmup: 0, schedule: 'constant' as const };
  const run = RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-dpo-')), 'run'), { resume: false });
  const result = new Trainer({ model, objective, config }).train({ run, showProgress: false });
  const after = objective.validate()!;
  assert.equal(result.steps, 60);
  assert.ok(after.metrics.val_loss! < before.metrics.val_loss! * 0.5, `validation loss ${before.metrics.val_loss} -> ${after.metrics.val_loss}`);
  assert.equal(after.score, 1);
  assert.ok(after.metrics.val_reward_margin! > 1);
  const logged = run.readMetrics().filter((r) => r.split !== 'validation');
  assert.ok(logged.every((r) => typeof r.reward_margin === 'number' && typeof r.reward_accuracy === 'number'));
});

test('the DPO objective refuses an empty prompt or completion, a prompt that leaves no room, and beta <= 0', () => {
  const model = tinyLoraPolicy(1, false);
  assert.throws(() => new DpoObjective({ model, train: [{ prompt: [], chosen: [3], rejected: [4] }], settings }), /training pair 0: the prompt is empty/);
  assert.throws(() => new DpoObjective({ model, train: [{ prompt: [1], chosen: [3], rejected: [] }], settings }), /pair 0: the rejected completion is empty/);
  assert.throws(() => new DpoObjective({ model, train: pairs, settings: { ...settings, maxLength: 3 } }), /pair 2: the prompt has 4 tokens, so maxLength 3 leaves none/);
  assert.throws(() => new DpoObjective({ model, train: pairs, settings: { ...settings, beta: 0 } }), /beta must be > 0/);
});
