/** RMSNorm over the last dim: x (..., dim), weight (dim) -> (..., dim); y = x / sqrt(mean(x^2) + eps) * weight. */
import { isRecording, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { leadingRows } from './common.js';

export function rmsnorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const dim = x.shape[x.rank - 1];
  if (dim === undefined || weight.rank !== 1 || weight.shape[0] !== dim) {
    throw new Error(`rmsnorm: weight ${formatShape(weight.shape)} does not match the last dimension of x ${formatShape(x.shape)}`);
  }
  const rows = leadingRows(x);
  const out = empty(x.shape);
  const rstd = empty([rows]);
  out.backend.rmsnorm(x.storage, weight.storage, out.storage, rstd.storage, rows, dim, eps);
  if (!isRecording(x, weight)) {
    rstd.dispose();
    return out;
  }
  record(out, 'rmsnorm', [x, weight], (dy, grads) => {
    const dX = grads(0);
    const dW = grads(1);
    if (dX !== null) {
      dy.backend.rmsnormBackward(x.storage, weight.storage, rstd.storage, dy.storage, dX.storage, dW?.storage ?? null, rows, dim, true);
    } else if (dW !== null) {
      // The kernel always writes dx; a scratch buffer takes it when only the weight needs a gradient.
      const scratch = empty(x.shape);
      dy.backend.rmsnormBackward(x.storage, weight.storage, rstd.storage, dy.storage, scratch.storage, dW.storage, rows, dim, true);
    }
  }, [rstd]);
  return out;
}
