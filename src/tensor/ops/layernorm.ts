/** LayerNorm over the last dim: x (..., dim), weight (dim), bias (dim) or null -> (..., dim). */
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { leadingRows } from './common.js';

export function layernorm(x: Tensor, weight: Tensor, bias: Tensor | null, eps = 1e-5): Tensor {
  const dim = x.shape[x.rank - 1];
  for (const [name, p] of [['weight', weight], ['bias', bias]] as const) {
    if (p !== null && (dim === undefined || p.rank !== 1 || p.shape[0] !== dim)) {
      throw new Error(`layernorm: ${name} ${formatShape(p.shape)} does not match the last dimension of x ${formatShape(x.shape)}`);
    }
  }
  const d = dim!;
  const rows = leadingRows(x);
  const out = empty(x.shape);
  const mean = empty([rows]);
  const rstd = empty([rows]);
  out.backend.layernorm(x.storage, weight.storage, bias?.storage ?? null, out.storage, mean.storage, rstd.storage, rows, d, eps);
  const inputs = bias === null ? [x, weight] : [x, weight, bias];
  record(out, 'layernorm', inputs, (dy, grads) => {
    const dX = grads(0) ?? empty(x.shape);
    const dW = grads(1);
    const dB = bias === null ? null : grads(2);
    dy.backend.layernormBackward(
      x.storage, weight.storage, mean.storage, rstd.storage, dy.storage, dX.storage, dW?.storage ?? null, dB?.storage ?? null, rows, d, true,
    );
  }, [mean, rstd]);
  return out;
}
