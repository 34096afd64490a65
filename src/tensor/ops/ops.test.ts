// Forward values and malformed-use errors of the ops (gradients are in gradients.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { noGrad } from '../autograd.js';
import { Rng } from '../random.js';
import { tidy } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { ids, tensor, uniform } from '../tensor.js';
import { KVCache, attention } from './attention.js';
import { crossEntropy } from './crossEntropy.js';
import { dropout } from './dropout.js';
import { add, div, mul, sub } from './elementwise.js';
import { embedding } from './embedding.js';
import { concat, permute, slice, transpose } from './layout.js';
import { linearCrossEntropy, linearTargetLogProbs } from './linearCrossEntropy.js';
import { matmul } from './matmul.js';
import { mean, sum } from './reduce.js';
import { rmsnorm } from './rmsnorm.js';
import { rope, ropeInvFreq } from './rope.js';
import { logSoftmax, softmax } from './softmax.js';

const values = (t: Tensor): number[] => [...t.toArray()].map((v) => Math.round(v * 1e5) / 1e5);
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
};

test('matmul multiplies, transposes and broadcasts a 2-D weight over leading dims', () => {
  tidy(() => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    const b = tensor([1, 0, 0, 1, 1, 1], [3, 2]);
    assert.deepEqual(values(matmul(a, b)), [4, 5, 10, 11]);
    assert.deepEqual(values(matmul(a, a, { transB: true })), [14, 32, 32, 77]);
    assert.deepEqual(values(matmul(a, a, { transA: true })).slice(0, 3), [17, 22, 27]);
    const batched = matmul(tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]), b);
    assert.deepEqual(batched.shape, [2, 2, 2]);
    assert.deepEqual(values(batched), [4, 5, 10, 11, 16, 17, 22, 23]);
  });
});

test('matmul shape errors name the op and both shapes', () => {
  tidy(() => {
    const a = tensor(new Float32Array(6), [2, 3]);
    const b = tensor(new Float32Array(20), [4, 5]);
    assert.throws(() => matmul(a, b), /^Error: matmul: cannot multiply \(2,3\) by \(4,5\): inner dimensions 3 and 4 differ$/);
    const c = tensor(new Float32Array(24), [2, 3, 4]);
    const d = tensor(new Float32Array(60), [3, 4, 5]);
    assert.throws(() => matmul(c, d), /matmul: cannot multiply \(2,3,4\) by \(3,4,5\): batch dimensions \(2\) and \(3\) differ/);
    assert.throws(() => matmul(tensor([1, 2]), b), /matmul: a must have at least 2 dimensions, got \(2\)/);
  });
});

test('elementwise ops broadcast over leading dims and reject incompatible shapes', () => {
  tidy(() => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(values(add(a, tensor([10, 20, 30]))), [11, 22, 33, 14, 25, 36]);
    assert.deepEqual(values(sub(a, 1)), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(values(div(a, tensor([1, 2, 4]))), [1, 1, 0.75, 4, 2.5, 1.5]);
    assert.throws(() => add(a, tensor([1, 2])), /add: cannot broadcast \(2,3\) with \(2\): the shapes must match, or the second must match a suffix of the first/);
    assert.throws(() => sub(tensor([1, 2, 3]), a), /sub: cannot broadcast \(3\) with \(2,3\)/);
  });
});

test('permute, transpose, slice and concat rearrange values', () => {
  tidy(() => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.deepEqual(values(transpose(a)), [1, 4, 2, 5, 3, 6]);
    const p = permute(tensor([0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2]), [2, 0, 1]);
    assert.deepEqual(values(p), [0, 2, 4, 6, 1, 3, 5, 7]);
    assert.deepEqual(values(slice(a, 1, 1)), [2, 3, 5, 6]);
    assert.deepEqual(values(slice(a, 0, -1)), [4, 5, 6]);
    assert.deepEqual(values(concat([a, tensor([7, 8], [2, 1])], 1)), [1, 2, 3, 7, 4, 5, 6, 8]);
    assert.throws(() => slice(a, 1, 2, 5), /slice: range \[2, 5\) is out of bounds for axis 1 of \(2,3\)/);
    assert.throws(() => concat([a, tensor([1, 2])], 0), /concat: cannot join \(2,3\) and \(2\) along axis 0/);
    assert.throws(() => permute(a, [0, 0]), /permute: order \[0,0\] is not a permutation of the 2 axes of \(2,3\)/);
  });
});

test('sum and mean reduce everything or one axis', () => {
  tidy(() => {
    const a = tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.equal(sum(a).item(), 21);
    assert.deepEqual(values(sum(a, { axis: 0 })), [5, 7, 9]);
    assert.deepEqual(values(mean(a, { axis: -1 })), [2, 5]);
    assert.deepEqual(mean(a, { axis: 1, keepDims: true }).shape, [2, 1]);
    assert.throws(() => sum(a, { axis: 2 }), /sum: axis 2 is out of range for \(2,3\)/);
  });
});

test('softmax rows sum to one; rmsnorm gives unit root-mean-square rows', () => {
  tidy(() => {
    const x = uniform([4, 7], new Rng(1), -3, 3);
    for (const s of sum(softmax(x), { axis: -1 }).toArray()) assert.ok(Math.abs(s - 1) < 1e-6);
    const y = rmsnorm(x, tensor(new Float32Array(7).fill(1)), 0).toArray();
    for (let r = 0; r < 4; r++) {
      let ss = 0;
      for (let c = 0; c < 7; c++) ss += y[r * 7 + c]! ** 2;
      assert.ok(Math.abs(ss / 7 - 1) < 1e-5);
    }
    assert.throws(() => rmsnorm(x, tensor([1, 1])), /rmsnorm: weight \(2\) does not match the last dimension of x \(4,7\)/);
  });
});

test('embedding gathers rows and rejects out-of-range ids', () => {
  tidy(() => {
    const table = tensor([0, 0, 1, 1, 2, 2], [3, 2]);
    const out = embedding(table, ids([2, 0, 2, 1], [2, 2]));
    assert.deepEqual(out.shape, [2, 2, 2]);
    assert.deepEqual(values(out), [2, 2, 0, 0, 2, 2, 1, 1]);
    assert.throws(() => embedding(table, ids([3])), /embedding: id 3 at position 0 is out of range for a table of 3 rows/);
  });
});

test('crossEntropy is the weighted mean negative log-likelihood over rows that are not ignored', () => {
  tidy(() => {
    const logits = tensor([0, 0, 0, 1, 2, 3, 5, 5, 5], [3, 3]);
    const lse1 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    assert.ok(Math.abs(crossEntropy(logits, Int32Array.from([0, 2, 1])).item() - (Math.log(3) * 2 + lse1 - 3) / 3) < 1e-6);
    const weighted = crossEntropy(logits, Int32Array.from([0, 2, -100]), { weights: Float32Array.from([1, 3, 5]) }).item();
    assert.ok(Math.abs(weighted - (Math.log(3) + 3 * (lse1 - 3)) / 4) < 1e-6);
    assert.throws(() => crossEntropy(logits, Int32Array.from([0, 3, 1])), /crossEntropy: target 3 at row 1 is out of range for 3 classes/);
    assert.throws(() => crossEntropy(logits, Int32Array.from([0])), /crossEntropy: logits \(3,3\) have 3 rows but 1 targets were given/);
  });
});

/** A linear head's inputs: hidden (5, 8) and weight (37, 8) uniform in [-1, 1) from `seed`, and a target per row, one ignored (-100). */
function linearHead(seed: number): { hidden: Tensor; weight: Tensor; targets: Int32Array } {
  const rng = new Rng(seed);
  return { hidden: uniform([5, 8], rng, -1, 1), weight: uniform([37, 8], rng, -1, 1), targets: Int32Array.from([3, 36, -100, 0, 17]) };
}

test('the fused linearCrossEntropy equals crossEntropy of the materialised logits, for any chunk size', () => {
  tidy(() => {
    const { hidden, weight, targets } = linearHead(4);
    const weights = Float32Array.from([1, 2, 1, 0.5, 0]);
    const expected = crossEntropy(matmul(hidden, weight, { transB: true }), targets, { weights }).item();
    for (const chunk of [1, 5, 64]) {
      const fused = linearCrossEntropy(hidden, weight, targets, { weights, chunk }).item();
      assert.ok(Math.abs(fused - expected) < 1e-5, `chunk ${chunk}: ${fused} vs ${expected}`);
    }
    assert.throws(() => linearCrossEntropy(hidden, tensor(new Float32Array(14), [2, 7]), targets), /linearCrossEntropy: cannot apply weight \(2,7\) to hidden \(5,8\): weight must be \(vocab, 8\)/);
  });
});

test('label smoothing e mixes the target loss with the mean loss over all classes: (1 - e) CE + e mean_v(-log p_v)', () => {
  tidy(() => {
    const rng = new Rng(6);
    const hidden = uniform([4, 8], rng, -1, 1);
    const weight = uniform([11, 8], rng, -1, 1);
    const targets = Int32Array.from([3, 10, -100, 0]);
    const logits = matmul(hidden, weight, { transB: true });
    const logProbs = logSoftmax(logits).toArray();
    let expected = 0;
    for (const r of [0, 1, 3]) {
      let meanNll = 0;
      for (let v = 0; v < 11; v++) meanNll -= logProbs[r * 11 + v]! / 11;
      expected += (0.9 * -logProbs[r * 11 + targets[r]!]! + 0.1 * meanNll) / 3;
    }
    for (const chunk of [3, 64]) {
      const fused = linearCrossEntropy(hidden, weight, targets, { chunk, labelSmoothing: 0.1 }).item();
      assert.ok(Math.abs(fused - expected) < 1e-5, `chunk ${chunk}: ${fused} vs ${expected}`);
    }
    assert.throws(() => linearCrossEntropy(hidden, weight, targets, { labelSmoothing: 1 }), /linearCrossEntropy: labelSmoothing must be in \[0, 1\), got 1/);
  });
});

test('smoothing over a class range spreads e over those classes and leaves rows whose target is outside them alone', () => {
  tidy(() => {
    const rng = new Rng(7);
    const hidden = uniform([4, 8], rng, -1, 1);
    const weight = uniform([11, 8], rng, -1, 1);
    const targets = Int32Array.from([8, 2, 10, -100]);
    const logProbs = logSoftmax(matmul(hidden, weight, { transB: true })).toArray();
    const classes = { start: 7, end: 11 };
    let expected = 0;
    for (const r of [0, 1, 2]) {
      const target = -logProbs[r * 11 + targets[r]!]!;
      if (targets[r]! < classes.start) expected += target / 3;
      else {
        let meanNll = 0;
        for (let v = classes.start; v < classes.end; v++) meanNll -= logProbs[r * 11 + v]! / 4;
        expected += (0.8 * target + 0.2 * meanNll) / 3;
      }
    }
    const fused = linearCrossEntropy(hidden, weight, targets, { chunk: 3, labelSmoothing: 0.2, smoothingClasses: classes }).item();
    assert.ok(Math.abs(fused - expected) < 1e-5, `${fused} vs ${expected}`);
    assert.throws(() => linearCrossEntropy(hidden, weight, targets, { labelSmoothing: 0.2, smoothingClasses: { start: 5, end: 12 } }), /linearCrossEntropy: smoothingClasses 5..12 are not a non-empty range of the vocabulary 0..11/);
  });
});

test('smoothing targets replace the even spread by each row\'s own distribution: (1 - e) CE + e sum_v q_rv (-log p_v)', () => {
  tidy(() => {
    const rng = new Rng(8);
    const hidden = uniform([3, 8], rng, -1, 1);
    const weight = uniform([11, 8], rng, -1, 1);
    const targets = Int32Array.from([9, 2, 7]);
    const logProbs = logSoftmax(matmul(hidden, weight, { transB: true })).toArray();
    const classes = { start: 7, end: 11 };
    // Row 1 predicts ordinary text, so its distribution is never read.
    const q = Float32Array.from([0.1, 0.2, 0.3, 0.4, 9, 9, 9, 9, 1, 0, 0, 0]);
    let expected = -logProbs[11 + 2]! / 3;
    for (const r of [0, 2]) {
      let teacherNll = 0;
      for (let v = classes.start; v < classes.end; v++) teacherNll -= q[r * 4 + v - classes.start]! * logProbs[r * 11 + v]!;
      expected += (0.6 * -logProbs[r * 11 + targets[r]!]! + 0.4 * teacherNll) / 3;
    }
    const options = { chunk: 3, labelSmoothing: 0.4, smoothingClasses: classes };
    const fused = linearCrossEntropy(hidden, weight, targets, { ...options, smoothingTargets: q }).item();
    assert.ok(Math.abs(fused - expected) < 1e-5, `${fused} vs ${expected}`);
    const uniformTargets = new Float32Array(12).fill(0.25);
    const even = linearCrossEntropy(hidden, weight, targets, options).item();
    assert.ok(Math.abs(linearCrossEntropy(hidden, weight, targets, { ...options, smoothingTargets: uniformTargets }).item() - even) < 1e-6);
    assert.throws(() => linearCrossEntropy(hidden, weight, targets, { ...options, smoothingTargets: new Float32Array(8) }), /smoothingTargets has 8 values, expected rows \* classes = 3 \* 4/);
    const unnormalised = Float32Array.from(q);
    unnormalised[8] = 0.5;
    assert.throws(() => linearCrossEntropy(hidden, weight, targets, { ...options, smoothingTargets: unnormalised }), /smoothingTargets row 2 sums to 0.5000, not 1/);
  });
});

test('linearTargetLogProbs equals log-softmax of the materialised logits at each target, 0 where ignored, for any chunk size', () => {
  tidy(() => {
    const { hidden, weight, targets } = linearHead(5);
    const logProbs = logSoftmax(matmul(hidden, weight, { transB: true })).toArray();
    const expected = Array.from(targets, (t, r) => (t === -100 ? 0 : logProbs[r * 37 + t]!));
    for (const chunk of [1, 5, 64]) {
      const got = linearTargetLogProbs(hidden, weight, targets, { chunk });
      assert.deepEqual(got.shape, [5]);
      got.toArray().forEach((v, r) => assert.ok(Math.abs(v - expected[r]!) < 1e-5, `chunk ${chunk}, row ${r}: ${v} vs ${expected[r]}`));
    }
    assert.throws(() => linearTargetLogProbs(hidden, weight, Int32Array.from([3, 37, 0, 0, 0])), /linearTargetLogProbs: target 37 at row 1 is out of range for 37 classes/);
    assert.throws(() => linearTargetLogProbs(hidden, weight, Int32Array.from([3])), /linearTargetLogProbs: 1 targets for 5 rows/);
  });
});

test('linearCrossEntropy gives the same loss and gradients whether it keeps the logits or recomputes them', () => {
  tidy(() => {
    const rng = new Rng(5);
    const hiddenData = uniform([6, 8], rng, -1, 1).toArray();
    const weightData = uniform([23, 8], rng, -1, 1).toArray();
    const targets = Int32Array.from([3, 22, -100, 0, 17, 9]);
    const weights = Float32Array.from([1, 2, 1, 0.5, 0, 1]);
    const run = (keepLogitsBytes: number): { loss: number; dHidden: Float32Array; dWeight: Float32Array } => {
      const hidden = tensor(hiddenData, [6, 8]).requireGrad();
      const weight = tensor(weightData, [23, 8]).requireGrad();
      const loss = linearCrossEntropy(hidden, weight, targets, { weights, chunk: 5, keepLogitsBytes });
      loss.backward();
      return { loss: loss.item(), dHidden: hidden.grad!.toArray(), dWeight: weight.grad!.toArray() };
    };
    // 6 rows x 23 classes x 4 bytes = 552 bytes: kept under the default cap, recomputed under a cap of 551.
    const kept = run(2 ** 30);
    const recomputed = run(551);
    assert.ok(Math.abs(kept.loss - recomputed.loss) < 1e-6);
    close(kept.dHidden, recomputed.dHidden, 1e-6);
    close(kept.dWeight, recomputed.dWeight, 1e-6);
    assert.ok(kept.dWeight.some((v) => v !== 0));
    assert.throws(() => run(-1), /linearCrossEntropy: keepLogitsBytes must be >= 0, got -1/);
    // The per-row log-probabilities take the same choice, with a different upstream gradient for each row.
    const upstream = tensor([0.5, -1, 2, 1, -0.25, 3], [6]);
    const logProbs = (keepLogitsBytes: number): Float32Array[] => {
      const hidden = tensor(hiddenData, [6, 8]).requireGrad();
      const weight = tensor(weightData, [23, 8]).requireGrad();
      sum(mul(linearTargetLogProbs(hidden, weight, targets, { chunk: 5, keepLogitsBytes }), upstream)).backward();
      return [hidden.grad!.toArray(), weight.grad!.toArray()];
    };
    const [keptHidden, keptWeight] = logProbs(2 ** 30);
    const [hidden, weight] = logProbs(551);
    close(keptHidden!, hidden!, 1e-6);
    close(keptWeight!, weight!, 1e-6);
  });
});

test('when every row is ignored both cross-entropies are 0 and their gradients are 0', () => {
  tidy(() => {
    const hidden = uniform([2, 3], new Rng(6), -1, 1).requireGrad();
    const weight = uniform([4, 3], new Rng(7), -1, 1).requireGrad();
    const targets = Int32Array.from([-100, 2]);
    const weights = Float32Array.from([1, 0]);
    const fused = linearCrossEntropy(hidden, weight, targets, { weights });
    const plain = crossEntropy(matmul(hidden, weight, { transB: true }), targets, { weights });
    assert.equal(fused.item(), 0);
    assert.equal(plain.item(), 0);
    fused.backward();
    plain.backward();
    assert.ok(hidden.grad!.toArray().every((v) => v === 0));
    assert.ok(weight.grad!.toArray().every((v) => v === 0));
  });
});

test('ropeInvFreq follows theta^(-2i/d) and Llama-3 scaling divides only the low frequencies by the factor', () => {
  close(ropeInvFreq(4, 10000), [1, 0.01], 1e-7);
  const plain = ropeInvFreq(128, 500000);
  const scaled = ropeInvFreq(128, 500000, { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 });
  assert.equal(scaled[0], plain[0]); // wavelength 2pi: high frequency, kept
  close([scaled[63]!], [plain[63]! / 8], 1e-12); // longest wavelength: divided by the factor
  const mid = Array.from(scaled).findIndex((v, i) => v !== plain[i] && Math.abs(v - plain[i]! / 8) > 1e-12);
  assert.ok(mid > 0, 'some frequency lies in the smoothly interpolated band');
  assert.ok(scaled[mid]! < plain[mid]! && scaled[mid]! > plain[mid]! / 8);
});

test('rope is the identity at position 0 and preserves the norm of every pair', () => {
  tidy(() => {
    const x = uniform([1, 1, 3, 4], new Rng(2), -1, 1);
    const y = rope(x, { invFreq: ropeInvFreq(4, 10000) });
    const xs = x.toArray();
    const ys = y.toArray();
    close(ys.subarray(0, 4), xs.subarray(0, 4), 1e-7);
    for (let r = 0; r < 3; r++) {
      for (const i of [0, 1]) {
        const n1 = xs[r * 4 + i]! ** 2 + xs[r * 4 + i + 2]! ** 2;
        const n2 = ys[r * 4 + i]! ** 2 + ys[r * 4 + i + 2]! ** 2;
        assert.ok(Math.abs(n1 - n2) < 1e-6);
      }
    }
  });
});

test('attention decoded one position at a time through a KV cache equals full causal attention', () => {
  tidy(() => {
    const rng = new Rng(3);
    const [batch, heads, kvHeads, t, d] = [2, 4, 2, 5, 8];
    const q = uniform([batch, heads, t, d], rng, -1, 1);
    const k = uniform([batch, kvHeads, t, d], rng, -1, 1);
    const v = uniform([batch, kvHeads, t, d], rng, -1, 1);
    const full = attention(q, k, v).toArray();
    const cache = new KVCache(batch, kvHeads, 8, d);
    noGrad(() => {
      for (let i = 0; i < t; i++) {
        const step = attention(slice(q, 2, i, i + 1), slice(k, 2, i, i + 1), slice(v, 2, i, i + 1), { cache }).toArray();
        for (let bh = 0; bh < batch * heads; bh++) close(step.subarray(bh * d, bh * d + d), full.subarray((bh * t + i) * d, (bh * t + i + 1) * d), 1e-6);
      }
    });
    assert.equal(cache.length, t);
    assert.throws(() => cache.append(slice(k, 2, 0, 4), slice(v, 2, 0, 4)), /KVCache.append: 5 cached \+ 4 new positions exceed the capacity of 8/);
    cache.dispose();
    assert.throws(() => attention(q, k, tensor(new Float32Array(10), [1, 1, 10, 1])), /attention: k \(2,2,5,8\) and v \(1,1,10,1\) do not match q/);
    assert.throws(() => attention(uniform([1, 3, 2, 8], rng), uniform([1, 2, 2, 8], rng), uniform([1, 2, 2, 8], rng)), /attention: 3 query heads are not a multiple of 2 kv heads/);
  });
});

test('dropout is the identity in eval mode and zeroes about p of the elements in training, scaling the rest', () => {
  tidy(() => {
    const x = tensor(new Float32Array(10000).fill(1));
    assert.deepEqual(values(dropout(x, { p: 0.5, rng: new Rng(1), training: false })), values(x));
    const y = dropout(x, { p: 0.25, rng: new Rng(1), training: true }).toArray();
    const zeros = y.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10000 - 0.25) < 0.02, `dropped ${zeros}`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    assert.deepEqual(values(dropout(x, { p: 0.25, rng: new Rng(1), training: true })), [...y].map((v) => Math.round(v * 1e5) / 1e5));
    assert.throws(() => dropout(x, { p: 1, rng: new Rng(1), training: true }), /dropout: p must be in \[0, 1\), got 1/);
  });
});
