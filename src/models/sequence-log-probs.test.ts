// DecoderModel.sequenceLogProbs: per-sequence sums of target log-probabilities, checked against a log-softmax of the
// generation pass's full logits (KV-cached attention and the whole LM head, not the chunked one), on every backend, and its gradient against the taped
// materialised-logits computation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel, IGNORE_INDEX } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { availableBackends, withBackend } from '../tensor/backends/index.js';
import { grad } from '../tensor/autograd.js';
import { mul } from '../tensor/ops/elementwise.js';
import { embedding } from '../tensor/ops/embedding.js';
import { reshape } from '../tensor/ops/layout.js';
import { matmul } from '../tensor/ops/matmul.js';
import { sum } from '../tensor/ops/reduce.js';
import { logSoftmax } from '../tensor/ops/softmax.js';
import { tidy } from '../tensor/scope.js';
import { ids, tensor, type Tensor } from '../tensor/tensor.js';

const config: DecoderConfig = {
  family: 'llama', vocabSize: 29, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 64, bosTokenId: 1, eosTokenIds: [2],
};

// Two sequences of 6 positions: the first scores its last three tokens (a completion after a prompt), the second
// all five of its real tokens and none of its padding.
const batch = 2;
const t = 6;
const inputIds = Int32Array.from([1, 5, 9, 3, 20, 7, /**/ 1, 11, 4, 4, 8, 0]);
const targets = Int32Array.from([
  IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, 20, 7, 2,
  11, 4, 4, 8, 2, IGNORE_INDEX,
]);

/** log p(targets) summed per sequence from the generation path's logits, in float64. */
function direct(model: DecoderModel): number[] {
  const vocab = config.vocabSize;
  return Array.from({ length: batch }, (_, b) => {
    const logits = model.logitsAt(Array.from(inputIds.subarray(b * t, (b + 1) * t)));
    let total = 0;
    for (let i = 0; i < t; i++) {
      const target = targets[b * t + i]!;
      if (target === IGNORE_INDEX) continue;
      const row = logits.subarray(i * vocab, (i + 1) * vocab);
      const max = Math.max(...row);
      const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
      total += row[target]! - lse;
    }
    return total;
  });
}

for (const backend of availableBackends()) {
  test(`${backend.name}: sequenceLogProbs equals a direct log-softmax of the full logits, sequence by sequence`, () => {
    withBackend(backend, () => tidy(() => {
      const model = DecoderModel.random(config, 3, 0.3, backend);
      const got = model.sequenceLogProbs(inputIds, targets, batch, t);
      assert.deepEqual(got.shape, [batch]);
      const expected = direct(model);
      got.toArray().forEach((v, b) => assert.ok(Math.abs(v - expected[b]!) < 1e-4, `sequence ${b}: ${v} vs ${expected[b]}`));
      assert.ok(expected.every((v) => v < 0));
    }));
  });

  test(`${backend.name}: sequenceLogProbs has the gradient of the materialised log-softmax, and 0 without labelled positions`, () => {
    withBackend(backend, () => tidy(() => {
      const model = DecoderModel.random(config, 4, 0.3, backend);
      const params = model.trainableParameters().map(([, p]) => p);
      // Weighting the two sequences differently checks that each one's upstream gradient reaches its own rows.
      const weighted = (perSequence: Tensor): Tensor => sum(mul(perSequence, tensor([1.5, -0.5], [batch])));
      const fused = grad(() => weighted(model.sequenceLogProbs(inputIds, targets, batch, t)), params).map((g) => g.toArray());
      const materialised = grad(() => {
        const logProbs = logSoftmax(matmul(model.forward(inputIds, batch, t), model.outputWeight, { transB: true }));
        const picks: number[] = [];
        targets.forEach((target, i) => { if (target !== IGNORE_INDEX) picks.push(i * config.vocabSize + target); });
        const picked = embedding(reshape(logProbs, [batch * t * config.vocabSize, 1]), ids(picks));
        const perSequence = picks.map((p) => Math.floor(p / config.vocabSize / t));
        const membership = new Float32Array(batch * picks.length);
        perSequence.forEach((b, j) => { membership[b * picks.length + j] = 1; });
        return weighted(reshape(matmul(tensor(membership, [batch, picks.length]), picked), [batch]));
      }, params).map((g) => g.toArray());
      assert.ok(fused.some((g) => g.some((v) => Math.abs(v) > 1e-3)));
      fused.forEach((g, i) => {
        const m = materialised[i]!;
        for (let j = 0; j < g.length; j++) assert.ok(Math.abs(g[j]! - m[j]!) < 1e-4, `parameter ${i} [${j}]: ${g[j]} vs ${m[j]}`);
      });
      const none = model.sequenceLogProbs(inputIds, new Int32Array(batch * t).fill(IGNORE_INDEX), batch, t);
      assert.deepEqual(Array.from(none.toArray()), [0, 0]);
    }));
  });
}
