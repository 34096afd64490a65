/** Small helpers shared by the ops: shape checks with uniform messages and gradient accumulation. */
import type { Tensor } from '../tensor.js';
import { formatShape } from '../tensor.js';

/** dst += alpha * src (same size). */
export function addInto(dst: Tensor, src: Tensor, alpha = 1): void {
  dst.backend.axpby(alpha, src.storage, 1, dst.storage, dst.size);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function requireRank(op: string, name: string, t: Tensor, minRank: number): void {
  if (t.rank < minRank) throw new Error(`${op}: ${name} must have at least ${minRank} dimensions, got ${formatShape(t.shape)}`);
}

/** Product of the leading dimensions (all but the last). */
export function leadingRows(t: Tensor): number {
  return t.size / (t.shape[t.rank - 1] || 1);
}
