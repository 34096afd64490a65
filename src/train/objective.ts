/**
 * What a training objective gives the Trainer (src/train/trainer.ts): its micro-batches, epoch by epoch, and the
 * loss of one of them. Everything else — optimizer, schedule, accumulation, clipping, weight averaging,
 * validation and the best checkpoint, progress, metrics.jsonl, exact resume — is the Trainer's, so a new objective
 * (DPO, GRPO, a head on a frozen model) is one file beside src/train/objectives/sft.ts.
 */
import type { Parameter } from '../nn/parameter.js';
import type { Rng } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/** The loss of one micro-batch. */
export interface ObjectiveLoss {
  /** The scalar to minimise; gradients flow from it. */
  readonly loss: Tensor;
  /** Named values to log beside it (each step logs their weighted mean over its micro-batches). */
  readonly metrics: Readonly<Record<string, number>>;
}

/** A validation result. */
export interface Evaluation {
  /** Metrics to log, e.g. { val_loss: 0.3, val_top1: 0.9 }. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The value the best checkpoint is chosen by; higher is better. */
  readonly score: number;
}

/** JSON an objective keeps in a checkpoint to resume exactly (a sampler's generator, a running baseline). */
export type ObjectiveState = null | boolean | number | string | readonly ObjectiveState[] | { readonly [key: string]: ObjectiveState };

export interface Objective<Batch> {
  /**
   * The micro-batches of epoch `epoch` (0-based), in training order. The same epoch must always give the same
   * batches: a resumed run asks for its epoch again and continues at the batch where it stopped.
   */
  batches(epoch: number): readonly Batch[];
  /**
   * How much a micro-batch counts in its optimizer step (SFT: its labelled tokens); 0 leaves it out. A step
   * minimises sum_b weight_b loss_b / sum_b weight_b over its micro-batches.
   */
  weight(batch: Batch): number;
  /** Tokens the micro-batch feeds through the model (the throughput the progress bar shows). */
  tokens(batch: Batch): number;
  /** The loss of one micro-batch, with the model in training mode. */
  loss(batch: Batch): ObjectiveLoss;
  /** Validation, run in evaluation mode without gradients; undefined when the objective has nothing to validate. */
  validate?(): Evaluation | undefined;
  /** State to save with each checkpoint (beyond the data position, which the Trainer keeps). */
  state?(): ObjectiveState;
  /** Restores what `state` returned; `source` names the file for error messages. */
  loadState?(state: ObjectiveState, source: string): void;
}

/** What the Trainer needs of a model. */
export interface TrainableModel {
  /** Parameters to update (not frozen), by stable name. */
  trainableParameters(): [string, Parameter][];
  /** The generator of the model's dropout masks, if it draws any; checkpoints save and restore its state. */
  readonly dropoutRng?: Rng | null;
  /** Switches training behaviour (dropout) on or off; validation runs with it off. */
  train?(on: boolean): unknown;
  /** Sets the model's own dropout rate (TrainerConfig.dropout), seeding its mask generator. */
  setDropout?(rate: number, seed: number): void;
}
