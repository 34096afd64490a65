/**
 * Cross-entropy on logits: logits (rows, classes) (or (..., classes), flattened), targets (rows) -> scalar
 * weighted mean of -log softmax(logits)[target] over the rows that count. Rows whose target is ignoreIndex or whose
 * weight is 0 carry no loss; the mean divides by the sum of the remaining weights.
 */
import { record } from '../autograd.js';
import type { Ids, Tensor } from '../tensor.js';
import { empty, formatShape, tensor, zeros } from '../tensor.js';
import { leadingRows, requireRank } from './common.js';

export interface CrossEntropyOptions {
  /** Target value that marks a row as carrying no loss. Default -100. */
  readonly ignoreIndex?: number;
  /** Per-row loss weights (length rows). */
  readonly weights?: Float32Array;
}

/** The rows that carry loss, their flat index (row * classes + target) into the logits, and their weights. */
export function lossRows(
  op: string, targets: Int32Array, rows: number, classes: number, ignoreIndex: number, weights: Float32Array | undefined,
): { picks: Int32Array; rowWeights: Float32Array; weightTotal: number } {
  if (targets.length !== rows) throw new Error(`${op}: ${targets.length} targets for ${rows} rows`);
  if (weights !== undefined && weights.length !== rows) throw new Error(`${op}: ${weights.length} weights for ${rows} rows`);
  const picks: number[] = [];
  const rowWeights: number[] = [];
  let weightTotal = 0;
  for (let r = 0; r < rows; r++) {
    const target = targets[r]!;
    const w = weights === undefined ? 1 : weights[r]!;
    if (target === ignoreIndex || w === 0) continue;
    if (!Number.isInteger(target) || target < 0 || target >= classes) {
      throw new Error(`${op}: target ${target} at row ${r} is out of range for ${classes} classes`);
    }
    if (!(w > 0)) throw new Error(`${op}: weight ${w} at row ${r} must be positive (0 excludes the row)`);
    picks.push(r * classes + target);
    rowWeights.push(w);
    weightTotal += w;
  }
  return { picks: Int32Array.from(picks), rowWeights: Float32Array.from(rowWeights), weightTotal };
}

export function crossEntropy(logits: Tensor, targets: Ids | Int32Array, options: CrossEntropyOptions = {}): Tensor {
  requireRank('crossEntropy', 'logits', logits, 2);
  const classes = logits.shape[logits.rank - 1]!;
  const rows = leadingRows(logits);
  const targetData = targets instanceof Int32Array ? targets : targets.data;
  if (targetData.length !== rows) {
    throw new Error(`crossEntropy: logits ${formatShape(logits.shape)} have ${rows} rows but ${targetData.length} targets were given`);
  }
  if (rows * classes > 0x7fffffff) {
    throw new Error(`crossEntropy: logits ${formatShape(logits.shape)} exceed 2^31 elements; use linearCrossEntropy, which never materialises them`);
  }
  const { picks, rowWeights, weightTotal } = lossRows('crossEntropy', targetData, rows, classes, options.ignoreIndex ?? -100, options.weights);
  const out = empty([]);
  const be = out.backend;
  if (picks.length === 0) {
    // No row carries loss: the loss is 0 and so is every gradient.
    be.fill(out.storage, 0);
    record(out, 'crossEntropy', [logits], () => undefined);
    return out;
  }
  // logp (rows, classes); the picked log-probabilities are gathered as rows of length 1 of logp viewed (rows*classes, 1).
  const logp = empty(logits.shape);
  be.softmax(logits.storage, logp.storage, rows, classes, true);
  const picked = empty([picks.length]);
  be.embedding(logp.storage, picks, picked.storage, 1);
  const weightsTensor = tensor(rowWeights);
  const weighted = empty([picks.length]);
  be.binary('mul', picked.storage, weightsTensor.storage, weighted.storage, picks.length, picks.length);
  const total = empty([1]);
  be.sumRows(weighted.storage, total.storage, 1, picks.length, false);
  be.axpby(-1 / weightTotal, total.storage, 0, out.storage, 1);
  for (const t of [picked, weighted, total]) t.dispose();

  record(out, 'crossEntropy', [logits], (dy, grads) => {
    const dLogits = grads(0);
    if (dLogits === null) return;
    // d loss / d logp[pick] = -w * dy / weightTotal, scattered into a zero (rows, classes) gradient; the
    // log-softmax backward then turns it into dlogits = c_r (softmax - onehot).
    const coeff = empty([picks.length]);
    be.binary('mul', weightsTensor.storage, dy.storage, coeff.storage, picks.length, 1);
    const scaled = empty([picks.length]);
    be.axpby(-1 / weightTotal, coeff.storage, 0, scaled.storage, picks.length);
    const dLogp = zeros(logits.shape);
    be.embeddingBackward(scaled.storage, picks, dLogp.storage, 1);
    be.softmaxBackward(logp.storage, dLogp.storage, dLogits.storage, rows, classes, true, true);
  }, [logp, weightsTensor]);
  return out;
}
