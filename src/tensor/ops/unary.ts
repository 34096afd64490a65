/** Elementwise functions of one tensor (any shape -> same shape); the backward uses the input, not the output. */
import type { UnaryOp } from '../backend.js';
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty } from '../tensor.js';

export function unary(op: UnaryOp, x: Tensor): Tensor {
  const out = empty(x.shape);
  out.backend.unary(op, x.storage, out.storage, x.size);
  record(out, op, [x], (dy, grads) => {
    const dX = grads(0);
    if (dX !== null) dy.backend.unaryBackward(op, x.storage, dy.storage, dX.storage, x.size, true);
  });
  return out;
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const rsqrt = (x: Tensor): Tensor => unary('rsqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
/** x * sigmoid(x) */
export const silu = (x: Tensor): Tensor => unary('silu', x);
/** GELU, tanh approximation. */
export const gelu = (x: Tensor): Tensor => unary('gelu', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
