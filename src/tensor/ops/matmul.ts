/**
 * Batched matrix multiply. a is (...batch, m, k) (stored (...batch, k, m) when transA), b is (...batch, k, n)
 * (stored (...batch, n, k) when transB, the layout of a Linear weight). Either operand may be 2-D and is then
 * broadcast over the other's batch dimensions. Result: (...batch, m, n).
 *
 * The precision is the scope's (src/tensor/precision.ts) unless the options name one; the forward and both backward
 * GEMMs run at it.
 */
import type { MatmulParams, MatmulPrecision } from '../backend.js';
import { isRecording, record, type BackwardFn } from '../autograd.js';
import { matmulPrecision } from '../precision.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape, shapeSize } from '../tensor.js';
import { requireRank, sameShape } from './common.js';

export interface MatmulOptions {
  readonly transA?: boolean;
  readonly transB?: boolean;
  /** Overrides the scope's precision: 'fp32' for a matmul that is a reduction (a sum through a 0/1 matrix), whose
   * result must not lose bits under bf16 training. */
  readonly precision?: MatmulPrecision;
}

const NO_BATCH: readonly number[] = [];

export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const transA = options.transA ?? false;
  const transB = options.transB ?? false;
  const precision = options.precision ?? matmulPrecision();
  requireRank('matmul', 'a', a, 2);
  requireRank('matmul', 'b', b, 2);
  const aRows = a.shape[a.rank - 2]!;
  const aCols = a.shape[a.rank - 1]!;
  const bRows = b.shape[b.rank - 2]!;
  const bCols = b.shape[b.rank - 1]!;
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const kB = transB ? bCols : bRows;
  const n = transB ? bRows : bCols;
  if (k !== kB) {
    throw new Error(
      `matmul: cannot multiply ${formatShape(a.shape)}${transA ? '^T' : ''} by ${formatShape(b.shape)}${transB ? '^T' : ''}: ` +
        `inner dimensions ${k} and ${kB} differ`,
    );
  }
  // Two matrices (every projection of a model) have no batch to check.
  const plain = a.rank === 2 && b.rank === 2;
  const aBatch = plain ? NO_BATCH : a.shape.slice(0, -2);
  const bBatch = plain ? NO_BATCH : b.shape.slice(0, -2);
  const broadcastA = aBatch.length === 0 && bBatch.length > 0;
  const broadcastB = bBatch.length === 0 && aBatch.length > 0;
  if (!plain && !broadcastA && !broadcastB && !sameShape(aBatch, bBatch)) {
    throw new Error(
      `matmul: cannot multiply ${formatShape(a.shape)} by ${formatShape(b.shape)}: batch dimensions ` +
        `${formatShape(aBatch)} and ${formatShape(bBatch)} differ (a 2-D operand broadcasts; others must match)`,
    );
  }
  const batchShape = broadcastA ? bBatch : aBatch;
  const batch = shapeSize(batchShape);
  const strideA = broadcastA ? 0 : m * k;
  const strideB = broadcastB ? 0 : k * n;

  const out = empty(plain ? [m, n] : [...batchShape, m, n]);
  const geometry: MatmulGeometry = { batch, m, n, k, transA, transB, strideA, strideB, precision, broadcastA, broadcastB };
  out.backend.matmul(a.storage, b.storage, out.storage, geometry);
  // The backward is made only when it is recorded: a generation step runs matmuls by the hundred without one.
  if (isRecording(a, b)) record(out, 'matmul', [a, b], matmulBackward(a, b, geometry));
  return out;
}

/** The matmul's parameters, with whether each operand is broadcast over the other's batch. */
interface MatmulGeometry extends MatmulParams {
  readonly strideA: number;
  readonly strideB: number;
  readonly precision: MatmulPrecision;
  readonly broadcastA: boolean;
  readonly broadcastB: boolean;
}

function matmulBackward(a: Tensor, b: Tensor, geometry: MatmulGeometry): BackwardFn {
  const { batch, m, n, k, transA, transB, strideA, strideB, precision, broadcastA, broadcastB } = geometry;
  return (dy, grads) => {
    const be = dy.backend;
    const dA = grads(0);
    const dB = grads(1);
    const strideDy = m * n;
    if (dA !== null) {
      // !transA: dA (m,k) = dy (m,n) @ op(B)^T;  transA: dA (k,m) = op(B) (k,n) @ dy^T
      const p: MatmulParams = transA
        ? { batch, m: k, n: m, k: n, transA: transB, transB: true, strideA: strideB, strideB: strideDy, precision }
        : { batch, m, n: k, k: n, transA: false, transB: !transB, strideA: strideDy, strideB, precision };
      if (broadcastA) {
        const perBatch = empty([batch, a.size]);
        be.matmul(transA ? b.storage : dy.storage, transA ? dy.storage : b.storage, perBatch.storage, p);
        be.sumOuter(perBatch.storage, dA.storage, batch, a.size, true);
      } else {
        be.matmul(transA ? b.storage : dy.storage, transA ? dy.storage : b.storage, dA.storage, { ...p, accumulate: true });
      }
    }
    if (dB !== null) {
      // !transB: dB (k,n) = op(A)^T (k,m) @ dy (m,n);  transB: dB (n,k) = dy^T (n,m) @ op(A) (m,k)
      if (broadcastB && !transA) {
        // A and dy are contiguous (batch*m, k) and (batch*m, n): the sum over the batch is one matmul.
        const rows = batch * m;
        if (transB) be.matmul(dy.storage, a.storage, dB.storage, { batch: 1, m: n, n: k, k: rows, transA: true, transB: false, accumulate: true, precision });
        else be.matmul(a.storage, dy.storage, dB.storage, { batch: 1, m: k, n, k: rows, transA: true, transB: false, accumulate: true, precision });
        return;
      }
      const p: MatmulParams = transB
        ? { batch, m: n, n: k, k: m, transA: true, transB: transA, strideA: strideDy, strideB: strideA, precision }
        : { batch, m: k, n, k: m, transA: !transA, transB: false, strideA, strideB: strideDy, precision };
      const left = transB ? dy.storage : a.storage;
      const right = transB ? a.storage : dy.storage;
      if (broadcastB) {
        const perBatch = empty([batch, b.size]);
        be.matmul(left, right, perBatch.storage, p);
        be.sumOuter(perBatch.storage, dB.storage, batch, b.size, true);
      } else {
        be.matmul(left, right, dB.storage, { ...p, accumulate: true });
      }
    }
  };
}
