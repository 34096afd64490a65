/**
 * Rearranging data: reshape (a view, no copy), permute / transpose, slice and concat along an axis.
 * Everything but reshape copies, because kernels read contiguous storage only.
 */
import { isRecording, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape, shapeSize, zeros } from '../tensor.js';
import { addInto } from './common.js';

function normaliseAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

/** Row-major strides of a contiguous tensor. */
function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** x viewed with a new shape of the same size; one dimension may be -1 (inferred). Shares storage. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const inferred = shape.indexOf(-1);
  let target = [...shape];
  if (inferred >= 0) {
    const known = shapeSize(shape.filter((_, i) => i !== inferred));
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} to ${formatShape(shape)}`);
    }
    target = shape.map((d, i) => (i === inferred ? x.size / known : d));
  }
  if (shapeSize(target) !== x.size) {
    throw new Error(`reshape: cannot reshape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)}`);
  }
  const out = x.view(target);
  if (isRecording(x)) record(out, 'reshape', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX !== null) addInto(dX, dy);
  });
  return out;
}

/** Reorders the axes: result axis i is input axis order[i]. */
export function permute(x: Tensor, order: readonly number[]): Tensor {
  const rank = x.rank;
  const seen = new Set(order.map((a) => normaliseAxis('permute', a, rank)));
  if (order.length !== rank || seen.size !== rank) {
    throw new Error(`permute: order [${order.join(',')}] is not a permutation of the ${rank} axes of ${formatShape(x.shape)}`);
  }
  const axes = order.map((a) => normaliseAxis('permute', a, rank));
  const outShape = axes.map((a) => x.shape[a]!);
  // Moving only axes of size 1 keeps every element where it is (a decode step's (1, 1, heads, headDim) to
  // (1, heads, 1, headDim)): a view, not a copy.
  const kept = axes.filter((a) => x.shape[a] !== 1);
  if (kept.every((a, i) => i === 0 || a > kept[i - 1]!)) return reshape(x, outShape);
  const inStrides = contiguousStrides(x.shape);
  const out = empty(outShape);
  out.backend.copyStrided(x.storage, 0, outShape, axes.map((a) => inStrides[a]!), out.storage);
  if (isRecording(x)) record(out, 'permute', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX === null) return;
    // The inverse permutation maps dy back to x's layout.
    const inverse = new Array<number>(rank);
    axes.forEach((a, i) => (inverse[a] = i));
    const dyStrides = contiguousStrides(outShape);
    const back = empty(x.shape);
    dy.backend.copyStrided(dy.storage, 0, x.shape, inverse.map((i) => dyStrides[i]!), back.storage);
    addInto(dX, back);
  });
  return out;
}

/** Swaps two axes (by default the last two). */
export function transpose(x: Tensor, axis1 = -2, axis2 = -1): Tensor {
  const a1 = normaliseAxis('transpose', axis1, x.rank);
  const a2 = normaliseAxis('transpose', axis2, x.rank);
  const order = x.shape.map((_, i) => (i === a1 ? a2 : i === a2 ? a1 : i));
  return permute(x, order);
}

/** Elements start..end-1 along axis (end exclusive; negative indices count from the end). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normaliseAxis('slice', axis, x.rank);
  const length = x.shape[a]!;
  const from = start < 0 ? start + length : start;
  const to = end === undefined ? length : end < 0 ? end + length : end;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > length || from > to) {
    throw new Error(`slice: range [${start}, ${end ?? length}) is out of bounds for axis ${axis} of ${formatShape(x.shape)}`);
  }
  const outer = shapeSize(x.shape.slice(0, a));
  const inner = shapeSize(x.shape.slice(a + 1));
  const outShape = x.shape.map((d, i) => (i === a ? to - from : d));
  const out = empty(outShape);
  out.backend.copyStrided(x.storage, from * inner, [outer, to - from, inner], [length * inner, inner, 1], out.storage);
  record(out, 'slice', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX === null) return;
    const padded = zeros(x.shape);
    const rowLength = (to - from) * inner;
    for (let o = 0; o < outer; o++) dy.backend.copy(dy.storage, o * rowLength, padded.storage, (o * length + from) * inner, rowLength);
    addInto(dX, padded);
  });
  return out;
}

/** Joins tensors along axis; all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0];
  if (first === undefined) throw new Error('concat: needs at least one tensor');
  const a = normaliseAxis('concat', axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw new Error(`concat: cannot join ${formatShape(first.shape)} and ${formatShape(t.shape)} along axis ${axis}: other dimensions differ`);
    }
  }
  const outer = shapeSize(first.shape.slice(0, a));
  const inner = shapeSize(first.shape.slice(a + 1));
  const total = tensors.reduce((s, t) => s + t.shape[a]!, 0);
  const out = empty(first.shape.map((d, i) => (i === a ? total : d)));
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    offsets.push(offset);
    const rowLength = t.shape[a]! * inner;
    for (let o = 0; o < outer; o++) out.backend.copy(t.storage, o * rowLength, out.storage, (o * total + offset) * inner, rowLength);
    offset += t.shape[a]!;
  }
  record(out, 'concat', tensors, (dy, grads) => {
    tensors.forEach((t, i) => {
      const dT = grads(i);
      if (dT === null) return;
      const part = empty(t.shape);
      dy.backend.copyStrided(dy.storage, offsets[i]! * inner, [outer, t.shape[a]!, inner], [total * inner, inner, 1], part.storage);
      addInto(dT, part);
    });
  });
  return out;
}
