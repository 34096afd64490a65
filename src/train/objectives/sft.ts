/**
 * Supervised fine-tuning as a Trainer objective: next-token cross-entropy on the labelled positions of tokenized
 * examples, batched by padding, packing or length groups (src/train/batches.ts) in a seeded order per epoch, with
 * label smoothing (optionally confined to a class range) and soft labels — per-label smoothing distributions, which
 * make the loss knowledge distillation. Validation is the token-mean loss on held-out examples.
 */
import type { ClassRange } from '../../tensor/backend.js';
import type { LabelSmoothingOptions } from '../../tensor/ops/linearCrossEntropy.js';
import type { LossOptions } from '../../models/decoder.js';
import { tidy } from '../../tensor/scope.js';
import type { Tensor } from '../../tensor/tensor.js';
import { epochOrder, makeBatches } from '../batches.js';
import type { BatchingOptions, TokenizedExample, TrainBatch } from '../batches.js';
import type { Evaluation, Objective, ObjectiveLoss, TrainableModel } from '../objective.js';
import { defaultTrainerConfig, type TrainerConfig } from '../trainer.js';

/** A model SFT can train: the Trainer's needs plus a next-token loss. */
export interface LanguageModel extends TrainableModel {
  /** Mean next-token loss over positions whose target is not -100 (label-smoothed when asked). */
  loss(inputIds: Int32Array, targets: Int32Array, batch: number, t: number, options?: LossOptions): Tensor;
}

/** The settings of the SFT objective. */
export interface SftSettings {
  readonly batchSize: number;
  /** Longer examples are truncated to this many positions. */
  readonly maxLength: number;
  readonly packing: boolean;
  /** Without packing, batch examples of similar length together (see BatchingOptions.groupByLength). */
  readonly groupByLength: boolean;
  readonly padId: number;
  /** Seeds the order of the examples in each epoch. */
  readonly seed: number;
  /**
   * Label smoothing of the training loss (0: none): 1 - e on the target, e spread over the vocabulary. It keeps a
   * model that fits its training set from becoming certain, which helps the ranking below its first answer.
   */
  readonly labelSmoothing?: number;
  /**
   * Smooth among these token ids only, and only rows whose target is one of them (default: the whole vocabulary).
   * For ToolGen retrieval, the tool tokens: the model is kept from certainty about which tool, not about the text.
   * Soft labels are distributions over these classes.
   */
  readonly smoothingClasses?: ClassRange;
}

/** A supervised run's whole configuration: the Trainer's settings and the objective's. */
export type SftConfig = TrainerConfig & SftSettings;

export const defaultSftConfig: SftConfig = {
  ...defaultTrainerConfig,
  batchSize: 8,
  maxLength: 512,
  packing: false,
  groupByLength: false,
  padId: 0,
};

export interface SftObjectiveOptions {
  readonly model: LanguageModel;
  readonly train: readonly TokenizedExample[];
  /** Held-out examples: validation logs their loss, and without another evaluation it picks the best checkpoint. */
  readonly validation?: readonly TokenizedExample[];
  readonly settings: SftSettings;
}

function checkSettings(s: SftSettings): void {
  for (const k of ['batchSize', 'maxLength'] as const) {
    const v = s[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`training config: ${k} must be a positive integer, got ${String(v)}`);
  }
  const smoothing = s.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`training config: labelSmoothing must be in [0, 1), got ${smoothing}`);
}

/** Soft labels are the smoothing distribution: they need smoothing, over as many classes as they have. */
function checkSoftLabels(train: readonly TokenizedExample[], s: SftSettings): void {
  const soft = train.find((e) => (e.softLabels?.length ?? 0) > 0)?.softLabels?.[0];
  if (soft === undefined) return;
  if (!((s.labelSmoothing ?? 0) > 0)) throw new Error('training config: the examples have soft labels (a teacher\'s distributions), which need labelSmoothing > 0, the weight they get');
  if (s.smoothingClasses === undefined) throw new Error('training config: soft labels need smoothingClasses, the classes their distributions are over');
  const classes = s.smoothingClasses.end - s.smoothingClasses.start;
  if (soft.distribution.length !== classes) throw new Error(`training config: soft labels have ${soft.distribution.length} classes, smoothingClasses ${s.smoothingClasses.start}..${s.smoothingClasses.end - 1} has ${classes}`);
}

export class SftObjective implements Objective<TrainBatch> {
  private readonly model: LanguageModel;
  private readonly examples: readonly TokenizedExample[];
  private readonly validation: readonly TokenizedExample[];
  private readonly settings: SftSettings;
  private readonly smoothing: LabelSmoothingOptions;

  constructor(o: SftObjectiveOptions) {
    checkSettings(o.settings);
    checkSoftLabels(o.train, o.settings);
    this.model = o.model;
    this.examples = o.train;
    this.validation = o.validation ?? [];
    this.settings = o.settings;
    const { labelSmoothing, smoothingClasses } = o.settings;
    this.smoothing = labelSmoothing ? { labelSmoothing, ...(smoothingClasses === undefined ? {} : { smoothingClasses }) } : {};
    if (this.batches(0).length === 0) throw new Error('SFT: no training example has at least two tokens');
  }

  private batching(): BatchingOptions {
    const { batchSize, maxLength, packing, groupByLength, padId } = this.settings;
    return { batchSize, maxLength, packing, groupByLength, padId };
  }

  batches(epoch: number): TrainBatch[] {
    return makeBatches(this.examples, epochOrder(this.examples.length, this.settings.seed, epoch), this.batching());
  }

  weight(batch: TrainBatch): number {
    return batch.lossTokens;
  }

  tokens(batch: TrainBatch): number {
    return batch.batch * batch.t;
  }

  loss(b: TrainBatch): ObjectiveLoss {
    const options = b.softLabels === undefined ? this.smoothing : { ...this.smoothing, softLabels: b.softLabels };
    return { loss: this.model.loss(b.inputIds, b.targets, b.batch, b.t, options), metrics: {} };
  }

  /** The token-mean loss on the validation examples, scored by its negation; undefined without them. */
  validate(): Evaluation | undefined {
    if (this.validation.length === 0) return undefined;
    const loss = sftLoss(this.model, this.validation, this.settings);
    return { metrics: { val_loss: loss }, score: -loss };
  }
}

/** The token-mean next-token loss of `model` on `examples` (padded batches, no smoothing); call without gradients. */
export function sftLoss(model: LanguageModel, examples: readonly TokenizedExample[], s: Pick<SftSettings, 'batchSize' | 'maxLength' | 'padId'>): number {
  const batches = makeBatches(examples, examples.map((_, i) => i), { batchSize: s.batchSize, maxLength: s.maxLength, packing: false, padId: s.padId });
  let total = 0;
  let tokens = 0;
  for (const b of batches) {
    if (b.lossTokens === 0) continue;
    total += tidy(() => model.loss(b.inputIds, b.targets, b.batch, b.t).item()) * b.lossTokens;
    tokens += b.lossTokens;
  }
  return tokens > 0 ? total / tokens : NaN;
}
