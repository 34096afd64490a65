/**
 * Gradient accumulation: the gradient of the mean loss over several micro-batches, computed one micro-batch at a
 * time so only one micro-batch's activations exist at once. Each micro-batch's loss is scaled by 1/n before its
 * backward pass, so the accumulated `.grad` equals that of the mean over the whole batch.
 */
import { valueAndGrad } from '../../tensor/autograd.js';
import { scale } from '../../tensor/ops/elementwise.js';
import type { Tensor } from '../../tensor/tensor.js';

/** Accumulates gradients over the micro-batches into the parameters' `.grad`; returns the mean loss. */
export function accumulateGradients<T>(microBatches: readonly T[], lossFn: (batch: T) => Tensor): number {
  if (microBatches.length === 0) throw new Error('accumulateGradients: no micro-batches');
  const n = microBatches.length;
  let total = 0;
  for (const batch of microBatches) total += valueAndGrad(() => scale(lossFn(batch), 1 / n));
  return total;
}
