import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { causalLmBatch, trainingStep } from './step.js';
import { AdamW } from '../nn/optim/adamw.js';
import { generate } from '../generate/generate.js';
import { valueAndGrad } from '../tensor/autograd.js';
import { linearCrossEntropy } from '../tensor/ops/linearCrossEntropy.js';

const text = 'the cat sat on the mat. ';
const alphabet = [...new Set(text)].sort();
const encode = (s: string): number[] => [...s].map((c) => alphabet.indexOf(c));

test('causalLmBatch pairs each position with the next token and pads short rows without loss', () => {
  const b = causalLmBatch([[5, 6, 7, 8], [9, 10]], [[5, 6, -100, 8], [9, 10]], 0);
  assert.deepEqual([b.batch, b.t], [2, 3]);
  assert.deepEqual([...b.inputIds], [5, 6, 7, 9, 0, 0]);
  assert.deepEqual([...b.targets], [6, -100, 8, 10, -100, -100]);
  assert.throws(() => causalLmBatch([[1]]), /sequence 0 has 1 tokens/);
});

test('a tiny randomly initialised model trained from scratch learns to recite its text', () => {
  const config: DecoderConfig = {
    family: 'llama', vocabSize: alphabet.length, dim: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, hiddenDim: 64,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: true, maxPositions: 64, bosTokenId: null, eosTokenIds: [],
  };
  const model = DecoderModel.random(config, 7, 0.1);
  const tokens = encode(text.repeat(2));
  const data = causalLmBatch([tokens.slice(0, 25), tokens.slice(10, 35)]);
  const optimizer = new AdamW(model.trainableParameters(), { lr: 2e-2 });
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) losses.push(trainingStep(model, optimizer, data, { maxGradNorm: 1 }));
  assert.ok(losses[0]! > 2, `initial loss ${losses[0]} is near ln(${alphabet.length})`);
  assert.ok(losses[39]! < 0.1, `final loss ${losses[39]}`);
  const [continuation] = generate(model, [encode('the cat ')], { maxTokens: 16 });
  assert.equal(continuation!.tokens.map((i) => alphabet[i]).join(''), 'sat on the mat. ');
});

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
