// The decoder's training loss: the LM head on labelled rows only equals the full-row loss, and residual dropout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { valueAndGrad } from '../tensor/autograd.js';
import { linearCrossEntropy } from '../tensor/ops/linearCrossEntropy.js';

test('a loss over a few labelled positions (LM head on those rows only) equals the full-row loss, gradients included, with and without soft labels', () => {
  const config: DecoderConfig = {
    family: 'llama', vocabSize: 40, dim: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, hiddenDim: 32,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: false, maxPositions: 32, bosTokenId: null, eosTokenIds: [],
  };
  const model = DecoderModel.random(config, 3, { embedding: 0.1, projection: 0.2 });
  const inputs = Int32Array.from({ length: 2 * 6 }, (_, i) => (i * 7) % 40);
  const targets = Int32Array.from([-100, -100, 5, -100, 9, -100, -100, 3, -100, -100, -100, 30]);
  const gradients = (): Float32Array[] => model.trainableParameters().map(([, p]) => p.grad!.toArray());
  // Targets 2 and 7 (classes 5 and 3, among the smoothing classes 2..11) get distributions of their own; every
  // other row spreads evenly, so a soft label on the wrong row would change the loss.
  const distribution = (seed: number): Float32Array => {
    const q = Float32Array.from({ length: 10 }, (_, k) => ((k * seed) % 11) + 1);
    const total = q.reduce((a, b) => a + b, 0);
    return q.map((v) => v / total);
  };
  const softLabels = [{ position: 2, distribution: distribution(3) }, { position: 7, distribution: distribution(7) }];
  const smoothingTargets = new Float32Array(12 * 10).fill(0.1);
  for (const soft of softLabels) smoothingTargets.set(soft.distribution, soft.position * 10);
  const smoothing = { labelSmoothing: 0.4, smoothingClasses: { start: 2, end: 12 } };
  for (const [options, dense] of [[{}, {}], [{ ...smoothing, softLabels }, { ...smoothing, smoothingTargets }]] as const) {
    model.zeroGrad();
    const sparse = valueAndGrad(() => model.loss(inputs, targets, 2, 6, options));
    const sparseGrads = gradients();
    model.zeroGrad();
    const full = valueAndGrad(() => linearCrossEntropy(model.forward(inputs, 2, 6), model.outputWeight, targets, dense));
    const fullGrads = gradients();
    assert.ok(Math.abs(sparse - full) < 1e-5, `${sparse} vs ${full}`);
    sparseGrads.forEach((g, i) => g.forEach((v, j) => assert.ok(Math.abs(v - fullGrads[i]![j]!) < 1e-5, `parameter ${i} element ${j}`)));
  }
});

test('residual dropout draws new masks in training mode only, and rate 0 removes it', () => {
  const config: DecoderConfig = {
    family: 'llama', vocabSize: 30, dim: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, hiddenDim: 32,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: true, maxPositions: 32, bosTokenId: null, eosTokenIds: [],
  };
  const model = DecoderModel.random(config, 4, 0.2);
  const inputs = Int32Array.from({ length: 8 }, (_, i) => (i * 5) % 30);
  const targets = Int32Array.from({ length: 8 }, (_, i) => (i * 3 + 1) % 30);
  const loss = (): number => valueAndGrad(() => model.loss(inputs, targets, 1, 8));
  const plain = loss();
  model.setDropout(0.3, 9);
  assert.ok(model.dropoutRng !== null);
  const first = loss();
  const second = loss();
  assert.notEqual(first, plain);
  assert.notEqual(first, second, 'each step draws a new mask');
  model.train(false);
  assert.equal(loss(), plain, 'evaluation mode runs without dropout');
  model.train(true);
  model.setDropout(0);
  assert.equal(loss(), plain);
  assert.throws(() => model.setDropout(1), /rate must be in \[0, 1\)/);
});
