/**
 * x (..., k) @ W^T -> (..., n) with W (n, k) a quantized matrix (Q8_0 / Q4_0 blocks, src/tensor/quant.ts), the
 * forward of a Linear layer whose weight is kept quantized. The weight is a constant: the gradient reaches x only,
 * never W itself, which is what adapters trained over a frozen quantized base (QLoRA) need.
 *
 * The backward dx = dy W is summed over panels of W's rows, each dequantized on the fly, so no fp32 copy of the
 * whole weight ever exists: dx += dy[:, p] W[p] for p a panel of at most PANEL_VALUES / k rows. dy is transposed
 * once, so that a panel of its columns is a contiguous (rows of p, m) block, used transposed by the matmul.
 */
import { isRecording, record } from '../autograd.js';
import { dequantizeRows, type QuantizedMatrix } from '../quant.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { leadingRows, requireRank } from './common.js';

/** fp32 values of W one backward panel holds (256 KiB): small beside any base worth quantizing. */
const PANEL_VALUES = 65536;

export function quantizedMatmul(x: Tensor, w: QuantizedMatrix): Tensor {
  requireRank('quantizedMatmul', 'x', x, 1);
  const k = x.shape[x.rank - 1]!;
  if (k !== w.cols) throw new Error(`quantizedMatmul: x ${formatShape(x.shape)} has ${k} features but the ${w.type} weight (${w.rows}, ${w.cols}) takes ${w.cols}`);
  const rows = leadingRows(x);
  const out = empty([...x.shape.slice(0, -1), w.rows]);
  out.backend.quantizedMatmul(x.storage, w.data, out.storage, { m: rows, n: w.rows, k, type: w.type });
  if (isRecording(x)) record(out, 'quantizedMatmul', [x], (dy, grads) => {
    const dx = grads(0);
    if (dx === null) return;
    const be = dy.backend;
    const n = w.rows;
    const dyHost = be.download(dy.storage);
    const dyT = new Float32Array(n * rows);
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) dyT[j * rows + i] = dyHost[i * n + j]!;
    const panelRows = Math.max(1, Math.floor(PANEL_VALUES / k));
    for (let first = 0; first < n; first += panelRows) {
      const count = Math.min(panelRows, n - first);
      const dyPanel = be.upload(dyT.subarray(first * rows, (first + count) * rows));
      const wPanel = be.upload(dequantizeRows(w, first, count));
      be.matmul(dyPanel, wPanel, dx.storage, { batch: 1, m: rows, n: k, k: count, transA: true, transB: false, accumulate: true });
    }
  });
  return out;
}
