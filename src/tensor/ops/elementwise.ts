/**
 * Elementwise arithmetic with suffix broadcasting: a is (...lead, ...s), b is (...s) (leading 1s of b are
 * ignored), or a scalar; the result has a's shape. add and mul also accept the broadcast operand first.
 * `scale` multiplies by a constant.
 */
import type { BinaryOp } from '../backend.js';
import { isRecording, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape, tensor } from '../tensor.js';
import { addInto, sameShape } from './common.js';

/** Does b's shape (without leading 1s) equal a suffix of a's shape? */
function broadcastsTo(b: readonly number[], a: readonly number[]): boolean {
  let first = 0;
  while (first < b.length && b[first] === 1) first++;
  const core = b.slice(first);
  return core.length <= a.length && sameShape(core, a.slice(a.length - core.length));
}

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  if (!broadcastsTo(b.shape, a.shape)) {
    if ((op === 'add' || op === 'mul') && broadcastsTo(a.shape, b.shape)) return binary(op, b, a);
    throw new Error(
      `${op}: cannot broadcast ${formatShape(a.shape)} with ${formatShape(b.shape)}: the shapes must match, or the second ` +
        'must match a suffix of the first',
    );
  }
  const size = a.size;
  const bSize = b.size;
  const out = empty(a.shape);
  out.backend.binary(op, a.storage, b.storage, out.storage, size, bSize);
  const outer = bSize === 0 ? 0 : size / bSize;

  if (isRecording(a, b)) record(out, op, [a, b], (dy, grads) => {
    const be = dy.backend;
    const dA = grads(0);
    const dB = grads(1);
    // da: dy (add, sub), dy * b (mul), dy / b (div)
    if (dA !== null) {
      if (op === 'add' || op === 'sub') {
        addInto(dA, dy);
      } else {
        const t = empty(a.shape);
        be.binary(op, dy.storage, b.storage, t.storage, size, bSize);
        addInto(dA, t);
      }
    }
    // db: sum over the broadcast rows of dy (add), -dy (sub), dy * a (mul), -dy * a / b^2 (div)
    if (dB !== null) {
      let perElement = dy;
      if (op === 'mul' || op === 'div') {
        perElement = empty(a.shape);
        be.binary('mul', dy.storage, a.storage, perElement.storage, size, size);
        if (op === 'div') {
          // Kernels do not promise in-place operation, so each division gets its own output.
          for (let i = 0; i < 2; i++) {
            const divided = empty(a.shape);
            be.binary('div', perElement.storage, b.storage, divided.storage, size, bSize);
            perElement = divided;
          }
        }
      }
      if (op === 'add' || op === 'mul') {
        be.sumOuter(perElement.storage, dB.storage, outer, bSize, true);
      } else {
        const summed = empty(b.shape);
        be.sumOuter(perElement.storage, summed.storage, outer, bSize, false);
        addInto(dB, summed, -1);
      }
    }
  });
  return out;
}

function operand(x: Tensor | number): Tensor {
  return typeof x === 'number' ? tensor(x) : x;
}

/** a + b */
export function add(a: Tensor, b: Tensor | number): Tensor {
  return binary('add', a, operand(b));
}

/** a - b */
export function sub(a: Tensor, b: Tensor | number): Tensor {
  return binary('sub', a, operand(b));
}

/** a * b */
export function mul(a: Tensor, b: Tensor | number): Tensor {
  return binary('mul', a, operand(b));
}

/** a / b */
export function div(a: Tensor, b: Tensor | number): Tensor {
  return binary('div', a, operand(b));
}

/** s * x for a constant s. */
export function scale(x: Tensor, s: number): Tensor {
  const out = empty(x.shape);
  out.backend.axpby(s, x.storage, 0, out.storage, x.size);
  if (isRecording(x)) record(out, 'scale', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX !== null) addInto(dX, dy, s);
  });
  return out;
}
