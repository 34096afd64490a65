import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ModelBeamSession } from './beam-session.js';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { refBackend } from '../tensor/backends/ref.js';

const config: DecoderConfig = {
  family: 'llama', vocabSize: 23, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 32, bosTokenId: 1, eosTokenIds: [2],
};

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('forked beams see exactly the logits of their full token sequences', () => {
  const model = DecoderModel.random(config, 9, 0.3, refBackend);
  const beams = new ModelBeamSession(model, { maxStates: 4, capacity: 8 });
  const prompt = [1, 5, 6];
  const root = beams.prefill(prompt);
  const last = (ids: number[]) => model.logitsAt(ids).slice((ids.length - 1) * 23);
  assert.ok(maxDiff(root.logits, last(prompt)) < 1e-5);
  // Two children of the same parent, then a grandchild of the second.
  const [a, b] = beams.step([root.state, root.state], [7, 8]);
  assert.ok(maxDiff(a!.logits, last([...prompt, 7])) < 1e-5);
  assert.ok(maxDiff(b!.logits, last([...prompt, 8])) < 1e-5);
  beams.release(root.state);
  beams.release(a!.state);
  const [c] = beams.step([b!.state], [9]);
  assert.ok(maxDiff(c!.logits, last([...prompt, 8, 9])) < 1e-5);
  assert.equal(c!.state.length, 5);
});

test('running out of state slots is an error that says what to change', () => {
  const beams = new ModelBeamSession(DecoderModel.random(config, 9, 0.3, refBackend), { maxStates: 2, capacity: 8 });
  const root = beams.prefill([1, 2]);
  beams.step([root.state], [3]);
  assert.throws(() => beams.step([root.state], [4]), /every state slot is in use; raise maxStates/);
});
