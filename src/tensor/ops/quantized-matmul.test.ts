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
