/** Sums and means, over all elements (-> scalar) or over one axis (that axis removed, or kept as 1). */
import { record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape, ones, shapeSize } from '../tensor.js';

export interface ReduceOptions {
  /** Reduce over this axis only (negative counts from the end); omitted: over every element. */
  readonly axis?: number;
  /** Keep the reduced axis (or, without an axis, every axis) with size 1. */
  readonly keepDims?: boolean;
}

/** factor * the sum of x over an axis or all elements. */
function reduce(op: string, x: Tensor, options: ReduceOptions, mean: boolean): Tensor {
  const { axis, keepDims = false } = options;
  let a = -1;
  if (axis !== undefined) {
    a = axis < 0 ? axis + x.rank : axis;
    if (!Number.isInteger(a) || a < 0 || a >= x.rank) throw new Error(`${op}: axis ${axis} is out of range for ${formatShape(x.shape)}`);
  }
  // x viewed as (outer, n, inner), reduced over n -> (outer, inner)
  const outer = a < 0 ? 1 : shapeSize(x.shape.slice(0, a));
  const n = a < 0 ? x.size : x.shape[a]!;
  const inner = a < 0 ? 1 : shapeSize(x.shape.slice(a + 1));
  const factor = mean ? 1 / n : 1;
  const outShape = a < 0
    ? (keepDims ? x.shape.map(() => 1) : [])
    : keepDims ? x.shape.map((d, i) => (i === a ? 1 : d)) : x.shape.filter((_, i) => i !== a);
  const out = empty(outShape);
  const be = out.backend;
  if (inner === 1) {
    const sums = empty([outer]);
    be.sumRows(x.storage, sums.storage, outer, n, false);
    be.axpby(factor, sums.storage, 0, out.storage, outer);
    sums.dispose();
  } else {
    // Each outer block is an (n, inner) matrix summed over its rows: ones(1, n) @ block.
    const onesRow = ones([n]);
    be.matmul(onesRow.storage, x.storage, out.storage, { batch: outer, m: 1, n: inner, k: n, transA: false, transB: false, strideA: 0, alpha: factor });
    onesRow.dispose();
  }
  record(out, op, [x], (dy, grads) => {
    const dX = grads(0);
    if (dX === null) return;
    // dx[o, j, i] += factor * dy[o, i]: per outer block the outer product ones(n, 1) @ dy[o] (1, inner).
    const onesCol = ones([n]);
    dy.backend.matmul(onesCol.storage, dy.storage, dX.storage, {
      batch: outer, m: n, n: inner, k: 1, transA: false, transB: false, strideA: 0, strideB: inner, alpha: factor, accumulate: true,
    });
  });
  return out;
}

export function sum(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce('sum', x, options, false);
}

export function mean(x: Tensor, options: ReduceOptions = {}): Tensor {
  return reduce('mean', x, options, true);
}
