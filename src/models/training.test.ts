import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { causalLmBatch, trainingStep } from './training.js';
import { AdamW } from '../nn/optim/adamw.js';
import { generate } from '../generate/generate.js';

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
