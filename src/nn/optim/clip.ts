/** Global-norm gradient clipping: if the norm of all gradients together exceeds maxNorm, scale them all down to it. */
import type { Parameter } from '../parameter.js';
import { empty } from '../../tensor/tensor.js';

/** Sum of squares of the gradient entries the optimizer will use: the trainable rows only, when restricted. */
function trainableSumSquares(p: Parameter): number {
  const g = p.grad!;
  const rows = p.trainableRows;
  if (rows === null) return g.backend.sumSquares(g.storage, g.size);
  const rowSize = g.size / g.shape[0]!;
  const length = (rows.end - rows.start) * rowSize;
  const block = empty([length]);
  g.backend.copy(g.storage, rows.start * rowSize, block.storage, 0, length);
  const result = g.backend.sumSquares(block.storage, length);
  block.dispose();
  return result;
}

/** Returns the global gradient norm before clipping (over unfrozen parameters and their trainable rows). */
export function clipGradNorm(params: Iterable<Parameter>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const withGrad = [...params].filter((p) => p.grad !== null && !p.frozen);
  let sumSquares = 0;
  for (const p of withGrad) sumSquares += trainableSumSquares(p);
  const norm = Math.sqrt(sumSquares);
  if (norm > maxNorm) {
    const factor = maxNorm / (norm + 1e-6);
    for (const { grad } of withGrad) {
      const g = grad!;
      const scaled = empty(g.shape);
      g.backend.axpby(factor, g.storage, 0, scaled.storage, g.size);
      g.backend.copy(scaled.storage, 0, g.storage, 0, g.size);
      scaled.dispose();
    }
  }
  return norm;
}
