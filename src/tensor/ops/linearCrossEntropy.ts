/**
 * The LM head fused with cross-entropy: hidden (rows, dim) (or (..., dim)), weight (vocab, dim), targets (rows)
 * -> scalar weighted mean loss, computed over vocabulary chunks so the (rows x vocab) logits never exist in full.
 * Same row rules as crossEntropy: ignoreIndex and weight-0 rows carry no loss.
 *
 * linearTargetLogProbs is the same kernel read per row: log softmax(hidden W^T)[target] for each row, the
 * per-token log-probabilities DPO and RL objectives sum per sequence, again without a rows x vocab matrix.
 *
 * Both run their GEMMs at the scope's matmul precision (src/tensor/precision.ts), forward and backward alike.
 */
import { isGradEnabled, record } from '../autograd.js';
import type { ClassRange, LinearCrossEntropyParams } from '../backend.js';
import type { Ids, Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';
import { matmulPrecision } from '../precision.js';
import { lossRows } from './crossEntropy.js';
import { leadingRows } from './common.js';

/** Label smoothing of the target distribution (see LinearCrossEntropyParams.labelSmoothing). */
export interface LabelSmoothingOptions {
  /** In [0, 1); default 0. */
  readonly labelSmoothing?: number;
  /** The classes smoothing spreads over, and whose target rows it applies to (default: the whole vocabulary). */
  readonly smoothingClasses?: ClassRange;
}

export interface LinearCrossEntropyOptions extends LabelSmoothingOptions {
  /**
   * How each row spreads the smoothing over the smoothing classes: rows * classes probabilities (default uniform).
   * Rows that are smoothed must sum to 1; a teacher's distribution here is knowledge distillation.
   */
  readonly smoothingTargets?: Float32Array;
  readonly ignoreIndex?: number;
  readonly weights?: Float32Array;
  /** Vocabulary columns per chunk (scratch memory rows * chunk floats). Default 4096. */
  readonly chunk?: number;
  /**
   * When rows * vocab float32 logits fit in this many bytes, they are kept from the forward to the backward, which
   * then skips recomputing them (one rows x dim x vocab GEMM). Larger problems use the chunked recompute, so a big
   * vocabulary times many positions is never materialised. Default 1 GiB; 0 always recomputes.
   */
  readonly keepLogitsBytes?: number;
}

const DEFAULT_KEEP_LOGITS_BYTES = 2 ** 30;

/**
 * Scratch for the logits from forward to backward, when a backward will read them and they fit in keepLogitsBytes
 * (see LinearCrossEntropyOptions); autograd keeps it alive as a saved tensor until then.
 */
function keptLogitsFor(op: string, hidden: Tensor, weight: Tensor, rows: number, vocab: number, keepLogitsBytes = DEFAULT_KEEP_LOGITS_BYTES): Tensor | null {
  if (!(keepLogitsBytes >= 0)) throw new Error(`${op}: keepLogitsBytes must be >= 0, got ${keepLogitsBytes}`);
  const willBackward = isGradEnabled() && (hidden.requiresGrad || weight.requiresGrad);
  return willBackward && rows * vocab * 4 <= keepLogitsBytes ? empty([rows * vocab]) : null;
}

interface HeadProblem {
  readonly rows: number;
  readonly dim: number;
  readonly vocab: number;
  readonly chunk: number;
  readonly targetData: Int32Array;
  readonly ignoreIndex: number;
}

/** The sizes and targets of a fused LM-head problem, checked. */
function headProblem(
  op: string, hidden: Tensor, weight: Tensor, targets: Ids | Int32Array, options: { readonly chunk?: number; readonly ignoreIndex?: number },
): HeadProblem {
  const chunkOption = options.chunk;
  const dim = hidden.shape[hidden.rank - 1];
  if (weight.rank !== 2 || dim === undefined || weight.shape[1] !== dim) {
    throw new Error(`${op}: cannot apply weight ${formatShape(weight.shape)} to hidden ${formatShape(hidden.shape)}: weight must be (vocab, ${dim ?? '?'})`);
  }
  const chunk = chunkOption ?? 4096;
  if (!Number.isInteger(chunk) || chunk <= 0) throw new Error(`${op}: chunk must be a positive integer, got ${chunk}`);
  const targetData = targets instanceof Int32Array ? targets : targets.data;
  return { rows: leadingRows(hidden), dim, vocab: weight.shape[0]!, chunk, targetData, ignoreIndex: options.ignoreIndex ?? -100 };
}

export function linearCrossEntropy(
  hidden: Tensor, weight: Tensor, targets: Ids | Int32Array, options: LinearCrossEntropyOptions = {},
): Tensor {
  const { rows, dim, vocab, chunk, targetData, ignoreIndex } = headProblem('linearCrossEntropy', hidden, weight, targets, options);
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`linearCrossEntropy: labelSmoothing must be in [0, 1), got ${labelSmoothing}`);
  const classes = options.smoothingClasses;
  if (classes !== undefined && !(Number.isInteger(classes.start) && Number.isInteger(classes.end) && classes.start >= 0 && classes.start < classes.end && classes.end <= vocab)) {
    throw new Error(`linearCrossEntropy: smoothingClasses ${classes.start}..${classes.end} are not a non-empty range of the vocabulary 0..${vocab}`);
  }
  const smoothingTargets = options.smoothingTargets;
  if (smoothingTargets !== undefined) checkSmoothingTargets(smoothingTargets, targetData, rows, classes ?? { start: 0, end: vocab }, ignoreIndex);
  // Validates targets and weights with the same messages as crossEntropy.
  lossRows('linearCrossEntropy', targetData, rows, vocab, ignoreIndex, options.weights);
  const keptLogits = keptLogitsFor('linearCrossEntropy', hidden, weight, rows, vocab, options.keepLogitsBytes);
  const lse = empty([rows]);
  const out = empty([]);
  const be = out.backend;
  const p: LinearCrossEntropyParams = {
    rows, dim, vocab, ignoreIndex, chunk, precision: matmulPrecision(),
    ...(options.weights === undefined ? {} : { rowWeights: options.weights }),
    ...(keptLogits === null ? {} : { keptLogits: keptLogits.storage }),
    ...(labelSmoothing === 0 ? {} : { labelSmoothing }),
    ...(classes === undefined ? {} : { smoothingClasses: classes }),
    ...(smoothingTargets === undefined ? {} : { smoothingTargets }),
  };
  const { loss, weightTotal } = be.linearCrossEntropy(hidden.storage, weight.storage, targetData, lse.storage, p);
  be.fill(out.storage, weightTotal > 0 ? loss / weightTotal : 0);
  record(out, 'linearCrossEntropy', [hidden, weight], (dy, grads) => {
    if (weightTotal === 0) return;
    const dHidden = grads(0);
    const dWeight = grads(1);
    // The kernel takes the scale as a number: the upstream gradient of a scalar is read back once.
    const scale = dy.item() / weightTotal;
    be.linearCrossEntropyBackward(hidden.storage, weight.storage, targetData, lse.storage, scale, dHidden?.storage ?? null, dWeight?.storage ?? null, p);
  }, keptLogits === null ? [lse] : [lse, keptLogits]);
  return out;
}

export interface TargetLogProbsOptions {
  /** Rows with this target get log-probability 0 and no gradient (prompt and padding positions). Default -100. */
  readonly ignoreIndex?: number;
  /** Vocabulary columns per chunk (scratch memory rows * chunk floats). Default 4096. */
  readonly chunk?: number;
  /** As LinearCrossEntropyOptions.keepLogitsBytes: logits that fit are kept for the backward instead of recomputed. */
  readonly keepLogitsBytes?: number;
}

/**
 * Per-row log-probabilities of the targets under the LM head: hidden (rows, dim) (or (..., dim)), weight
 * (vocab, dim), targets (rows) -> (rows) with out[r] = log softmax(hidden_r W^T)[targets[r]], 0 where the target
 * is ignoreIndex. Differentiable in hidden and weight; the backward reuses the kept logits or recomputes them chunk
 * by chunk.
 */
export function linearTargetLogProbs(
  hidden: Tensor, weight: Tensor, targets: Ids | Int32Array, options: TargetLogProbsOptions = {},
): Tensor {
  const { rows, dim, vocab, chunk, targetData, ignoreIndex } = headProblem('linearTargetLogProbs', hidden, weight, targets, options);
  lossRows('linearTargetLogProbs', targetData, rows, vocab, ignoreIndex, undefined);
  const keptLogits = keptLogitsFor('linearTargetLogProbs', hidden, weight, rows, vocab, options.keepLogitsBytes);
  const lse = empty([rows]);
  const out = empty([rows]);
  const be = out.backend;
  const p: LinearCrossEntropyParams = {
    rows, dim, vocab, ignoreIndex, chunk, precision: matmulPrecision(), ...(keptLogits === null ? {} : { keptLogits: keptLogits.storage }),
  };
  // The kernel's per-row losses are -log p(target); negated in place they are the log-probabilities.
  be.linearCrossEntropy(hidden.storage, weight.storage, targetData, lse.storage, { ...p, rowLosses: out.storage });
  be.unary('neg', out.storage, out.storage, rows);
  record(out, 'linearTargetLogProbs', [hidden, weight], (dy, grads) => {
    const dHidden = grads(0);
    const dWeight = grads(1);
    // d out_r = -d loss_r, so each row's upstream gradient enters as rowScales with an overall scale of -1.
    be.linearCrossEntropyBackward(hidden.storage, weight.storage, targetData, lse.storage, -1, dHidden?.storage ?? null, dWeight?.storage ?? null, { ...p, rowScales: dy.storage });
  }, keptLogits === null ? [lse] : [lse, keptLogits]);
  return out;
}

/** Smoothing targets must cover every row and, on the rows they smooth, be a probability distribution. */
function checkSmoothingTargets(q: Float32Array, targets: Int32Array, rows: number, classes: ClassRange, ignoreIndex: number): void {
  const width = classes.end - classes.start;
  if (q.length !== rows * width) {
    throw new Error(`linearCrossEntropy: smoothingTargets has ${q.length} values, expected rows * classes = ${rows} * ${width}`);
  }
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex || t < classes.start || t >= classes.end) continue;
    let sum = 0;
    for (let k = 0; k < width; k++) {
      const v = q[r * width + k]!;
      if (!(v >= 0)) throw new Error(`linearCrossEntropy: smoothingTargets row ${r} has a negative or NaN probability (${v})`);
      sum += v;
    }
    if (Math.abs(sum - 1) > 1e-3) throw new Error(`linearCrossEntropy: smoothingTargets row ${r} sums to ${sum.toFixed(4)}, not 1`);
  }
}
