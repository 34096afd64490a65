/** SwiGLU gating: gate (...), up (same shape) -> silu(gate) * up. */
import { isRecording, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { sameShape } from './common.js';

export function swiglu(gate: Tensor, up: Tensor): Tensor {
  if (!sameShape(gate.shape, up.shape)) {
    throw new Error(`swiglu: gate ${formatShape(gate.shape)} and up ${formatShape(up.shape)} must have the same shape`);
  }
  const out = empty(gate.shape);
  out.backend.swiglu(gate.storage, up.storage, out.storage, gate.size);
  if (isRecording(gate, up)) record(out, 'swiglu', [gate, up], (dy, grads) => {
    // The kernel writes both gradients; a scratch buffer takes the one nobody needs.
    const dGate = grads(0) ?? empty(gate.shape);
    const dUp = grads(1) ?? empty(up.shape);
    dy.backend.swigluBackward(gate.storage, up.storage, dy.storage, dGate.storage, dUp.storage, gate.size, true);
  });
  return out;
}
