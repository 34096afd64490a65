/**
 * Turning tokenized examples into training batches: next-token targets, padding or packing, and a deterministic,
 * resumable order (an epoch's order depends only on the seed and the epoch number).
 */
import { IGNORE_INDEX, type SoftLabel } from '../models/decoder.js';
import { Rng } from '../tensor/random.js';
import { seededRandom, shuffled } from '../util/random.js';

export { IGNORE_INDEX };
export type { SoftLabel };

/** One tokenized example. `labels` is aligned with `inputIds` (Hugging Face style, not shifted): labels[i] is the
 * token at position i when it carries loss, IGNORE_INDEX otherwise. */
export interface TokenizedExample {
  readonly inputIds: readonly number[] | Int32Array;
  readonly labels: readonly number[] | Int32Array;
  /**
   * Distributions over the smoothing classes (SftConfig.smoothingClasses) for some labels (position: index into
   * labels): their label smoothing spreads by these instead of evenly, which is knowledge distillation.
   */
  readonly softLabels?: readonly SoftLabel[];
}

/** `batch` rows of `t` positions: inputs and next-token targets (IGNORE_INDEX where no loss). */
export interface TrainBatch {
  readonly batch: number;
  readonly t: number;
  readonly inputIds: Int32Array;
  readonly targets: Int32Array;
  /** Positions that carry loss. */
  readonly lossTokens: number;
  /** The soft labels of the batch's examples (position: index into targets). */
  readonly softLabels?: readonly SoftLabel[];
}

export interface BatchingOptions {
  readonly batchSize: number;
  /** Longer examples are truncated to this many positions. */
  readonly maxLength: number;
  /** Pack several examples into each row of maxLength positions instead of padding each one to the batch's longest. */
  readonly packing: boolean;
  /**
   * Without packing: batch examples of similar length together (sorted within windows of 32 batches, the batches
   * of each window then shuffled), so a few long examples (tool documents among short queries) do not pad every
   * batch they land in. Same examples per epoch, same number of batches.
   */
  readonly groupByLength?: boolean;
  readonly padId: number;
}

/** Batches per window that groupByLength sorts by length. */
const LENGTH_GROUP_WINDOW = 32;

/** One example as training rows: inputs, next-token targets and the soft labels of target positions. */
interface ShiftedExample {
  inputs: number[];
  targets: number[];
  softTargets: SoftLabel[];
}

/** Shifts one example into (inputs, targets) of length n - 1, truncated to maxLength. */
export function shiftExample(example: TokenizedExample, maxLength: number): ShiftedExample {
  const { inputIds, labels } = example;
  if (inputIds.length !== labels.length) {
    throw new Error(`example has ${inputIds.length} input ids but ${labels.length} labels`);
  }
  const n = Math.min(inputIds.length, maxLength + 1);
  const inputs: number[] = [];
  const targets: number[] = [];
  for (let i = 0; i + 1 < n; i++) {
    inputs.push(inputIds[i]!);
    targets.push(labels[i + 1]!);
  }
  const softTargets: SoftLabel[] = [];
  for (const soft of example.softLabels ?? []) {
    if (!Number.isInteger(soft.position) || soft.position < 1 || soft.position >= labels.length || labels[soft.position] === IGNORE_INDEX) {
      throw new Error(`soft label at position ${soft.position} is not on a labelled position (1..${labels.length - 1})`);
    }
    // Label i is the target of input i - 1.
    if (soft.position < n) softTargets.push({ position: soft.position - 1, distribution: soft.distribution });
  }
  return { inputs, targets, softTargets };
}

/** Rows reordered so that each run of batchSize rows has similar lengths (see BatchingOptions.groupByLength). */
function groupedByLength<T extends { inputs: readonly number[] }>(rows: readonly T[], batchSize: number): T[] {
  const out: T[] = [];
  const window = batchSize * LENGTH_GROUP_WINDOW;
  for (let start = 0; start < rows.length; start += window) {
    const sorted = rows.slice(start, start + window).sort((a, b) => a.inputs.length - b.inputs.length);
    const batches: T[][] = [];
    for (let b = 0; b < sorted.length; b += batchSize) batches.push(sorted.slice(b, b + batchSize));
    // The rows' order already comes from the epoch's seeded permutation; this only decorrelates length from time.
    const random = seededRandom(start + sorted.length * 7919 + (sorted[0]?.inputs[0] ?? 0));
    // A short last batch stays last, so that every batch boundary of the caller falls between two groups.
    const last = batches.at(-1)!.length < batchSize ? batches.pop()! : [];
    for (const batch of shuffled(batches, random)) out.push(...batch);
    out.push(...last);
  }
  return out;
}

/** A seeded permutation of 0..n-1 for one epoch. */
export function epochOrder(n: number, seed: number, epoch: number): number[] {
  const rng = new Rng(seed * 1000003 + epoch);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * The batches of one epoch, in order. Padding: each batch is `batchSize` examples padded to the longest.
 * Packing: examples are concatenated (in order) into rows of exactly maxLength positions; attention is causal over
 * the whole row, so a later example can see an earlier one — the usual trade of naive packing for no padding.
 */
export function makeBatches(examples: readonly TokenizedExample[], order: readonly number[], o: BatchingOptions): TrainBatch[] {
  if (o.batchSize < 1 || !Number.isInteger(o.batchSize)) throw new Error(`batch size must be a positive integer, got ${o.batchSize}`);
  const shifted = order.map((i) => {
    const ex = examples[i];
    if (ex === undefined) throw new Error(`example index ${i} is out of range (0..${examples.length - 1})`);
    return shiftExample(ex, o.maxLength);
  });
  const usable = shifted.filter((s) => s.inputs.length > 0);
  const rows: ShiftedExample[] = [];
  if (o.packing) {
    let cur: ShiftedExample = { inputs: [], targets: [], softTargets: [] };
    for (const s of usable) {
      let k = 0;
      while (k < s.inputs.length) {
        const room = o.maxLength - cur.inputs.length;
        const take = Math.min(room, s.inputs.length - k);
        for (const soft of s.softTargets) {
          if (soft.position >= k && soft.position < k + take) cur.softTargets.push({ position: cur.inputs.length + soft.position - k, distribution: soft.distribution });
        }
        cur.inputs.push(...s.inputs.slice(k, k + take));
        cur.targets.push(...s.targets.slice(k, k + take));
        k += take;
        if (cur.inputs.length === o.maxLength) {
          rows.push(cur);
          cur = { inputs: [], targets: [], softTargets: [] };
        }
      }
    }
    if (cur.inputs.length > 0) rows.push(cur);
  } else if (o.groupByLength === true) {
    rows.push(...groupedByLength(usable, o.batchSize));
  } else rows.push(...usable);

  const batches: TrainBatch[] = [];
  for (let b = 0; b < rows.length; b += o.batchSize) {
    const group = rows.slice(b, b + o.batchSize);
    const t = o.packing ? o.maxLength : Math.max(...group.map((r) => r.inputs.length));
    const inputIds = new Int32Array(group.length * t).fill(o.padId);
    const targets = new Int32Array(group.length * t).fill(IGNORE_INDEX);
    let lossTokens = 0;
    group.forEach((r, i) => {
      inputIds.set(r.inputs, i * t);
      targets.set(r.targets, i * t);
      for (const x of r.targets) if (x !== IGNORE_INDEX) lossTokens++;
    });
    const softLabels = group.flatMap((r, i) => r.softTargets.map(({ position, distribution }) => ({ position: i * t + position, distribution })));
    batches.push({ batch: group.length, t, inputIds, targets, lossTokens, ...(softLabels.length === 0 ? {} : { softLabels }) });
  }
  return batches;
}
