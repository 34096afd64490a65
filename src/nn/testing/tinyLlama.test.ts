import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableBackends, withBackend } from '../../tensor/backends/index.js';
import { valueAndGrad } from '../../tensor/autograd.js';
import { Rng } from '../../tensor/random.js';
import { liveTensorCount } from '../../tensor/scope.js';
import { ids } from '../../tensor/tensor.js';
import { AdamW } from '../optim/adamw.js';
import { clipGradNorm } from '../optim/clip.js';
import { TinyLlama } from './tinyLlama.js';

const config = { vocab: 16, dim: 32, layers: 2, heads: 4, kvHeads: 2, hidden: 64, ropeTheta: 10000 };
// A fixed sequence with repeated tokens, so memorising it needs the position information RoPE provides.
const sequence = [3, 7, 1, 7, 3, 9, 12, 1, 5, 7, 3, 14, 2, 9, 0, 11, 3];
const tokens = ids(sequence.slice(0, -1), [1, sequence.length - 1]);
const targets = Int32Array.from(sequence.slice(1));

for (const backend of availableBackends()) {
  test(`${backend.name}: a 2-layer transformer memorises a fixed sequence (loss < 0.05 within 150 AdamW steps)`, () => {
    withBackend(backend, () => {
      const model = new TinyLlama(config, new Rng(1));
      const opt = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0 });
      const first = valueAndGrad(() => model.loss(tokens, targets));
      opt.step();
      opt.zeroGrad();
      let loss = first;
      for (let step = 1; step < 150 && loss >= 0.05; step++) {
        loss = valueAndGrad(() => model.loss(tokens, targets));
        opt.step();
        opt.zeroGrad();
      }
      assert.ok(first > 2, `initial loss ${first} should be near ln(16) = 2.77`);
      assert.ok(loss < 0.05, `final loss ${loss}`);
      opt.dispose();
      model.dispose();
    });
  });
}

test('300 training steps keep the live tensor count constant and the RSS flat (< 24 MiB growth after warm-up)', () => {
  const model = new TinyLlama(config, new Rng(2));
  const opt = new AdamW(model.namedParameters(), { lr: 1e-3 });
  const trainStep = (): void => {
    valueAndGrad(() => model.loss(tokens, targets));
    clipGradNorm(model.parameters(), 1);
    opt.step();
    opt.zeroGrad();
  };
  for (let i = 0; i < 30; i++) trainStep();
  const liveAfterWarmup = liveTensorCount();
  global.gc?.();
  const rssAfterWarmup = process.memoryUsage().rss;
  for (let i = 0; i < 270; i++) {
    trainStep();
    assert.equal(liveTensorCount(), liveAfterWarmup, `live tensors changed at step ${30 + i}`);
  }
  global.gc?.();
  const growth = process.memoryUsage().rss - rssAfterWarmup;
  assert.ok(growth < 24 * 1024 * 1024, `RSS grew by ${(growth / 1048576).toFixed(1)} MiB`);
  opt.dispose();
  model.dispose();
});
