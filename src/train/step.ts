/**
 * The pieces of a training step for the decoder: batching token sequences into next-token pairs, and one
 * optimizer step (forward, fused LM-head cross-entropy, backward, update). What trains is decided by the
 * parameters' frozen flags and trainable rows (full fine-tuning, LoRA, new token rows), never here.
 */
import { tidy } from '../tensor/scope.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import type { Optimizer } from '../nn/optim/optimizer.js';
import { IGNORE_INDEX, type DecoderModel } from '../models/decoder.js';

/** `batch` rows of `t` positions: inputIds[r, i] predicts targets[r, i] (IGNORE_INDEX: no loss). */
export interface TokenBatch {
  readonly inputIds: Int32Array;
  readonly targets: Int32Array;
  readonly batch: number;
  readonly t: number;
}

/**
 * Turns sequences into next-token pairs: position i is trained to predict token i + 1. `labels` (aligned with the
 * sequences, IGNORE_INDEX for untrained tokens, as from buildChatTrainingExample) default to the tokens
 * themselves. Shorter sequences are padded with `padId` and carry no loss there.
 */
export function causalLmBatch(
  sequences: readonly (readonly number[])[],
  labels: readonly (readonly number[])[] = sequences,
  padId = 0,
): TokenBatch {
  if (sequences.length === 0) throw new RangeError('a batch needs at least one sequence');
  sequences.forEach((s, r) => {
    if (s.length < 2) throw new RangeError(`sequence ${r} has ${s.length} tokens; next-token training needs at least 2`);
    if (labels[r]?.length !== s.length) throw new RangeError(`sequence ${r}: ${labels[r]?.length ?? 0} labels for ${s.length} tokens`);
  });
  const t = Math.max(...sequences.map((s) => s.length)) - 1;
  const batch = sequences.length;
  const inputIds = new Int32Array(batch * t).fill(padId);
  const targets = new Int32Array(batch * t).fill(IGNORE_INDEX);
  sequences.forEach((s, r) => {
    for (let i = 0; i + 1 < s.length; i++) {
      inputIds[r * t + i] = s[i]!;
      targets[r * t + i] = labels[r]![i + 1]!;
    }
  });
  return { inputIds, targets, batch, t };
}

export interface TrainingStepOptions {
  /** Clip the global gradient norm to this value (off when absent). */
  readonly maxGradNorm?: number;
}

/** One step: loss, gradients, optional clipping, update, gradients cleared. Returns the loss before the update. */
export function trainingStep(model: DecoderModel, optimizer: Optimizer, data: TokenBatch, options: TrainingStepOptions = {}): number {
  model.train(true);
  const loss = tidy(() => {
    const value = model.loss(data.inputIds, data.targets, data.batch, data.t);
    value.backward();
    return value.item();
  });
  if (options.maxGradNorm !== undefined) clipGradNorm(model.parameters(), options.maxGradNorm);
  optimizer.step();
  optimizer.zeroGrad();
  return loss;
}
