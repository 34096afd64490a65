import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refBackend } from '../backends/ref.js';
import { withBackend } from '../backends/index.js';
import { grad } from '../autograd.js';
import { dequantize, quantize } from '../quant.js';
import { Rng } from '../random.js';
import { tensor } from '../tensor.js';
import { matmul } from './matmul.js';
import { sum } from './reduce.js';
import { mul } from './elementwise.js';
import { quantizedMatmul } from './quantized-matmul.js';

test('quantizedMatmul equals matmul with the dequantized weight, over any leading dimensions, and its gradient reaches x only', () => {
  withBackend(refBackend, () => {
    const rng = new Rng(1);
    const w = quantize('q4_0', Float32Array.from({ length: 5 * 40 }, () => rng.normal()), 5, 40);
    const dense = tensor(dequantize(w), [5, 40]);
    const x = tensor(Float32Array.from({ length: 2 * 3 * 40 }, () => rng.normal()), [2, 3, 40]);
    const y = quantizedMatmul(x, w);
    assert.deepEqual(y.shape, [2, 3, 5]);
    const want = matmul(tensor(x.toArray(), [6, 40]), dense, { transB: true }).toArray();
    y.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `${i}: ${v} vs ${want[i]}`));

    const [dx] = grad(() => sum(quantizedMatmul(x, w)), [x]);
    const flat = tensor(x.toArray(), [6, 40]);
    const [dxDense] = grad(() => sum(matmul(flat, dense, { transB: true })), [flat]);
    dx!.toArray().forEach((v, i) => assert.ok(Math.abs(v - dxDense!.toArray()[i]!) < 1e-5));
    assert.throws(() => quantizedMatmul(tensor(new Float32Array(6), [2, 3]), w), /x \(2,3\) has 3 features but the q4_0 weight \(5, 40\) takes 40/);
  });
});

test('the gradient through a quantized weight, summed over dequantized row panels, equals the fp32-dequantized reference for Q8_0, Q4_0, NF4 and bf16', () => {
  withBackend(refBackend, () => {
    const rng = new Rng(2);
    // k = 2048 makes a backward panel 32 rows, so 70 rows take two whole panels and a partial one.
    const n = 70;
    const k = 2048;
    for (const type of ['q8_0', 'q4_0', 'nf4', 'bf16'] as const) {
      const w = quantize(type, Float32Array.from({ length: n * k }, () => rng.normal()), n, k);
      const dense = tensor(dequantize(w), [n, k]);
      const x = tensor(Float32Array.from({ length: 3 * k }, () => rng.normal()), [3, k]);
      const upstream = tensor(Float32Array.from({ length: 3 * n }, () => rng.normal()), [3, n]);
      const [dx] = grad(() => sum(mul(quantizedMatmul(x, w), upstream)), [x]);
      const [dxDense] = grad(() => sum(mul(matmul(x, dense, { transB: true }), upstream)), [x]);
      const want = dxDense!.toArray();
      dx!.toArray().forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${type} ${i}: ${v} vs ${want[i]}`));
    }
  });
});
