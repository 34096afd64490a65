/**
 * x (..., k) @ W^T -> (..., n) with W (n, k) a quantized matrix (Q8_0 / Q4_0 blocks, src/tensor/quant.ts), the
 * forward of a Linear layer whose weight is kept quantized. The weight is a constant: the gradient reaches x only
 * (dx = dy W, through a transient fp32 copy of W), never W itself.
 */
import { record } from '../autograd.js';
import { dequantize, type QuantizedMatrix } from '../quant.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { leadingRows, requireRank } from './common.js';

export function quantizedMatmul(x: Tensor, w: QuantizedMatrix): Tensor {
  requireRank('quantizedMatmul', 'x', x, 1);
  const k = x.shape[x.rank - 1]!;
  if (k !== w.cols) throw new Error(`quantizedMatmul: x ${formatShape(x.shape)} has ${k} features but the ${w.type} weight (${w.rows}, ${w.cols}) takes ${w.cols}`);
  const rows = leadingRows(x);
  const out = empty([...x.shape.slice(0, -1), w.rows]);
  out.backend.quantizedMatmul(x.storage, w.data, out.storage, { m: rows, n: w.rows, k, type: w.type });
  record(out, 'quantizedMatmul', [x], (dy, grads) => {
    const dx = grads(0);
    if (dx === null) return;
    const be = dy.backend;
    be.matmul(dy.storage, be.upload(dequantize(w)), dx.storage, { batch: 1, m: rows, n: k, k: w.rows, transA: false, transB: false, accumulate: true });
  });
  return out;
}
