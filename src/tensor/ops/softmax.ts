/** Softmax and log-softmax over the last dim: x (..., n) -> (..., n). The backward uses the output. */
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty } from '../tensor.js';
import { leadingRows, requireRank } from './common.js';

function softmaxOp(x: Tensor, log: boolean): Tensor {
  const op = log ? 'logSoftmax' : 'softmax';
  requireRank(op, 'x', x, 1);
  const cols = x.shape[x.rank - 1]!;
  const rows = leadingRows(x);
  const out = empty(x.shape);
  out.backend.softmax(x.storage, out.storage, rows, cols, log);
  record(out, op, [x], (dy, grads) => {
    const dX = grads(0);
    if (dX !== null) dy.backend.softmaxBackward(out.storage, dy.storage, dX.storage, rows, cols, log, true);
  });
  return out;
}

export function softmax(x: Tensor): Tensor {
  return softmaxOp(x, false);
}

export function logSoftmax(x: Tensor): Tensor {
  return softmaxOp(x, true);
}
