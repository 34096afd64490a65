/**
 * The Trainer: one loop for every objective (src/train/objective.ts; supervised fine-tuning is
 * src/train/objectives/sft.ts). It owns what objectives share: AdamW or SGD over the model's trainable parameters
 * (whatever the caller selected: all of them, LoRA adapters, new token rows), warmup + cosine/linear/constant
 * schedule, gradient accumulation, clipping, a moving average of the weights, periodic validation with
 * best-checkpoint selection, a progress bar, metrics.jsonl, and checkpoints from which a killed run resumes
 * exactly — same parameters, optimizer moments, schedule position, RNG and data position — so its loss curve
 * continues as if it had never stopped.
 */
import { existsSync } from 'node:fs';
import { CheckpointError } from '../formats/errors.js';
import { writeSafetensors } from '../formats/safetensors.js';
import type { Parameter } from '../nn/parameter.js';
import { AdamW } from '../nn/optim/adamw.js';
import { ParameterAverage } from '../nn/optim/average.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import type { Optimizer, ParamGroup } from '../nn/optim/optimizer.js';
import { constantSchedule, cosineSchedule, linearSchedule } from '../nn/optim/schedule.js';
import type { LrSchedule } from '../nn/optim/schedule.js';
import { SGD } from '../nn/optim/sgd.js';
import { noGrad, valueAndGrad } from '../tensor/autograd.js';
import { scale } from '../tensor/ops/elementwise.js';
import { ProgressBar } from '../report/progress.js';
import { writeJsonAtomic } from '../util/fs.js';
import { runCancellable, runToEnd, type Stepwise } from '../util/steps.js';
import { loadParameters, parameterTensors, restoreCheckpoint, writeCheckpoint, type LoopState } from './checkpoint.js';
import type { Evaluation, Objective, TrainableModel } from './objective.js';
import type { RunDirectory } from './run-dir.js';

export type { Evaluation, Objective, ObjectiveLoss, ObjectiveState, TrainableModel } from './objective.js';

/** The objective-independent settings of a run. */
export interface TrainerConfig {
  readonly epochs: number;
  /** Micro-batches per optimizer step. */
  readonly gradAccumulation: number;
  /** Default 'adamw'. */
  readonly optimizer?: 'adamw' | 'sgd';
  /** SGD only: heavy-ball momentum (default 0). */
  readonly momentum?: number;
  readonly lr: number;
  readonly schedule: 'cosine' | 'linear' | 'constant';
  /** Warmup as a ratio of total steps (< 1) or a step count (>= 1). */
  readonly warmup: number;
  readonly minLr: number;
  /** Decay of the matrices (parameters of rank >= 2); vectors (norms, biases) never decay. */
  readonly weightDecay: number;
  /** Residual dropout of the model while training (0: none); needs a model with setDropout. */
  readonly dropout: number;
  /** Clip the global gradient norm to this (0: no clipping). */
  readonly maxGradNorm: number;
  /** Seeds the model's dropout generator. */
  readonly seed: number;
  /** Validate every N optimizer steps (0: only at the end). */
  readonly evalEvery: number;
  /** Checkpoint every N optimizer steps (0: only at the end). */
  readonly checkpointEvery: number;
  /** Stop after this many optimizer steps (for tests and smoke runs); the schedule still spans the full run. */
  readonly maxSteps?: number;
  /**
   * Decay of an exponential moving average of the trainable weights (0: none). With it, validation, the best
   * checkpoint and the final model use the averaged weights (see nn/optim/average.ts).
   */
  readonly averageDecay?: number;
}

export const defaultTrainerConfig: TrainerConfig = {
  epochs: 1,
  gradAccumulation: 1,
  lr: 1e-3,
  schedule: 'cosine',
  warmup: 0.03,
  minLr: 0,
  weightDecay: 0,
  dropout: 0,
  maxGradNorm: 1,
  seed: 0,
  evalEvery: 0,
  checkpointEvery: 0,
};

export interface TrainerOptions<Batch> {
  readonly model: TrainableModel;
  readonly objective: Objective<Batch>;
  readonly config: TrainerConfig;
}

export interface TrainOptions {
  readonly run: RunDirectory;
  /** Validation beyond the objective's own (e.g. retrieval accuracy); its metrics join the objective's and its score
   * chooses the best checkpoint. */
  readonly evaluate?: () => Evaluation;
  /** Called after every optimizer step (tests use it to stop a run in a known place). */
  readonly onStep?: (step: number, loss: number) => void;
  readonly showProgress?: boolean;
}

/** One optimizer step. */
export interface StepResult {
  /** The weighted mean loss of the micro-batches (NaN when none carried weight). */
  readonly loss: number;
  /** Weighted means of the objective's metrics. */
  readonly metrics: Readonly<Record<string, number>>;
  /** The sum of the micro-batches' weights (SFT: labelled tokens). */
  readonly weight: number;
  readonly tokens: number;
  /** The learning rate the step used. */
  readonly lr: number;
  /** The gradient norm before clipping (NaN without clipping). */
  readonly gradNorm: number;
}

export interface TrainResult {
  readonly steps: number;
  readonly finalLoss: number;
  readonly best?: { readonly step: number; readonly score: number };
  readonly resumedFrom?: number;
  readonly tokensPerSecond: number;
}

/** Runs `fn` with the model in evaluation mode, then back in training mode. */
export function inEvalMode<T>(model: TrainableModel, fn: () => T): T {
  model.train?.(false);
  try {
    return fn();
  } finally {
    model.train?.(true);
  }
}

function makeSchedule(config: TrainerConfig, totalSteps: number): LrSchedule {
  const o = { peak: config.lr, totalSteps, warmup: config.warmup, min: config.minLr };
  return config.schedule === 'cosine' ? cosineSchedule(o) : config.schedule === 'linear' ? linearSchedule(o) : constantSchedule(o);
}

function checkConfig(c: TrainerConfig): void {
  for (const k of ['epochs', 'gradAccumulation'] as const) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`training config: ${k} must be a positive integer, got ${String(v)}`);
  }
  for (const k of ['evalEvery', 'checkpointEvery'] as const) {
    const v = c[k];
    if (!Number.isInteger(v) || v < 0) throw new Error(`training config: ${k} must be a non-negative integer, got ${String(v)}`);
  }
  if (!(c.lr > 0)) throw new Error(`training config: lr must be > 0, got ${c.lr}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new Error(`training config: dropout must be in [0, 1), got ${c.dropout}`);
  if (!(c.maxGradNorm >= 0)) throw new Error(`training config: maxGradNorm must be >= 0 (0: no clipping), got ${c.maxGradNorm}`);
  const decay = c.averageDecay ?? 0;
  if (!(decay >= 0 && decay < 1)) throw new Error(`training config: averageDecay must be in [0, 1) (0: no weight averaging), got ${decay}`);
  if (c.maxSteps !== undefined && !(Number.isInteger(c.maxSteps) && c.maxSteps >= 0)) throw new Error(`training config: maxSteps must be a non-negative integer, got ${c.maxSteps}`);
}

export class Trainer<Batch> {
  readonly model: TrainableModel;
  readonly objective: Objective<Batch>;
  readonly config: TrainerConfig;
  /** Optimizer steps of the whole run (the schedule's length). */
  readonly totalSteps: number;
  private readonly params: [string, Parameter][];
  private readonly optimizer: Optimizer;
  private readonly average: ParameterAverage | null;

  constructor(o: TrainerOptions<Batch>) {
    const { model, objective, config } = o;
    checkConfig(config);
    this.model = model;
    this.objective = objective;
    this.config = config;
    if (config.dropout > 0) {
      if (model.setDropout === undefined) throw new Error('Trainer: dropout > 0 needs a model with its own dropout (setDropout)');
      model.setDropout(config.dropout, config.seed);
    }
    this.params = model.trainableParameters();
    if (this.params.length === 0) throw new Error('Trainer: the model has no trainable parameters (everything is frozen)');
    const perEpoch = objective.batches(0).length;
    if (perEpoch === 0) throw new Error('Trainer: the objective has no training batch');
    this.totalSteps = Math.ceil(perEpoch / config.gradAccumulation) * config.epochs;
    const groups: ParamGroup[] = [
      { params: this.params.filter(([, p]) => p.shape.length >= 2), weightDecay: config.weightDecay },
      { params: this.params.filter(([, p]) => p.shape.length < 2), weightDecay: 0 },
    ];
    const lr = makeSchedule(config, this.totalSteps);
    this.optimizer = config.optimizer === 'sgd'
      ? new SGD(groups, { lr, weightDecay: config.weightDecay, momentum: config.momentum ?? 0 })
      : new AdamW(groups, { lr, weightDecay: config.weightDecay });
    this.average = (config.averageDecay ?? 0) > 0 ? new ParameterAverage(this.params, config.averageDecay!) : null;
  }

  /**
   * One optimizer step over `micro` (at most gradAccumulation micro-batches): each loss scaled by its share of the
   * weight, gradients accumulated, clipped, applied, cleared; the weight average follows.
   */
  step(micro: readonly Batch[]): StepResult {
    const { objective } = this;
    let weight = 0;
    let tokens = 0;
    for (const b of micro) {
      weight += objective.weight(b);
      tokens += objective.tokens(b);
    }
    let loss = weight > 0 ? 0 : NaN;
    // Null prototype: any metric name an objective picks stays a plain key.
    const metrics: Record<string, number> = Object.create(null) as Record<string, number>;
    this.model.train?.(true);
    for (const b of micro) {
      const w = objective.weight(b);
      if (w === 0 || weight === 0) continue;
      const share = w / weight;
      loss += valueAndGrad(() => {
        const out = objective.loss(b);
        for (const [name, value] of Object.entries(out.metrics)) metrics[name] = (metrics[name] ?? 0) + share * value;
        return scale(out.loss, share);
      });
    }
    const gradNorm = this.config.maxGradNorm > 0 ? clipGradNorm(this.params.map(([, p]) => p), this.config.maxGradNorm) : NaN;
    const lr = this.optimizer.lr;
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.average?.update(this.optimizer.steps);
    return { loss, metrics, weight, tokens, lr, gradNorm };
  }

  /**
   * Trains to the end of the schedule (or maxSteps) into `run`, resuming from its latest checkpoint when there is
   * one; validates, keeps the best weights in `best/`, and leaves the final (averaged, with averaging) weights in
   * the model. A Trainer trains once: its optimizer state is released at the end.
   */
  train(o: TrainOptions): TrainResult {
    return runToEnd(this.trainingSteps(o));
  }

  /**
   * `train` with an event-loop turn after every optimizer step, cancellable: when `signal` aborts, the run saves a
   * checkpoint at the step it reached (so that `train` on the same run directory resumes exactly there), releases
   * its optimizer state and rejects with the signal's reason.
   */
  trainAsync(o: TrainOptions & { readonly signal?: AbortSignal }): Promise<TrainResult> {
    return runCancellable(this.trainingSteps(o), o.signal);
  }

  /** The training loop, pausing after every optimizer step. */
  private *trainingSteps(o: TrainOptions): Stepwise<TrainResult> {
    const { model, objective, config, params, optimizer, average } = this;
    const { run } = o;
    let state: LoopState = { step: 0, epoch: 0, batchInEpoch: 0, rng: model.dropoutRng?.state() ?? null, best: null, lastLoss: NaN };
    const latest = run.latestCheckpoint();
    let resumedFrom: number | undefined;
    if (latest !== undefined) {
      state = restoreCheckpoint(latest.dir, params, optimizer, average);
      if (state.step !== latest.step) throw new CheckpointError(`${latest.dir}: trainer.json says step ${state.step}, the checkpoint's name says ${latest.step}; the checkpoint is damaged: delete it to resume from the previous one`);
      if (state.objective !== undefined) {
        if (objective.loadState === undefined) throw new CheckpointError(`${latest.dir}: the checkpoint holds objective state, which this objective does not take; it was written by another objective`);
        objective.loadState(state.objective, latest.dir);
      }
      run.truncateMetrics(state.step);
      resumedFrom = state.step;
    }
    if (state.rng !== null && model.dropoutRng) model.dropoutRng.setState(state.rng);

    model.train?.(true);
    const limit = Math.min(this.totalSteps, config.maxSteps ?? Infinity);
    const bar = o.showProgress === false ? undefined : new ProgressBar({ total: limit, label: 'train', unit: 'step' });
    if (bar && state.step > 0) bar.tick(state.step);
    const started = performance.now();
    let tokensThisRun = 0;
    let step = state.step;
    let best = state.best;
    let lastLoss = state.lastLoss;

    const saveCheckpoint = (epoch: number, batchInEpoch: number): void => {
      const loop: LoopState = {
        step, epoch, batchInEpoch, rng: model.dropoutRng?.state() ?? null, best, lastLoss,
        ...(objective.state === undefined ? {} : { objective: objective.state() }),
      };
      run.saveCheckpoint(step, (dir) => writeCheckpoint(dir, params, optimizer, loop, average));
    };
    const validateCurrent = (): void => {
      const metrics: Record<string, number> = {};
      let score: number | undefined;
      for (const e of [inEvalMode(model, () => noGrad(() => objective.validate?.())), o.evaluate && inEvalMode(model, o.evaluate)]) {
        if (e === undefined) continue;
        Object.assign(metrics, e.metrics);
        score = e.score;
      }
      if (score === undefined) return;
      run.appendMetric({ step, split: 'validation', ...metrics });
      if (best === null || score > best.score) {
        best = { step, score };
        writeSafetensors(run.file('best', 'trainable.safetensors'), parameterTensors(params));
        writeJsonAtomic(run.file('best', 'best.json'), { step, score, metrics });
      }
    };
    // With averaging, what is validated and kept as best is the average, the weights the run will end with.
    const validate = (): void => (average === null ? validateCurrent() : average.withAveraged(validateCurrent));

    outer: for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
      const batches = objective.batches(epoch);
      const first = epoch === state.epoch ? state.batchInEpoch : 0;
      if (first > batches.length) throw new Error(`the checkpoint resumes epoch ${epoch} at batch ${first}, but the epoch has ${batches.length} batches: the training data or batch settings changed since it was written`);
      for (let bi = first; bi < batches.length; bi += config.gradAccumulation) {
        if (step >= limit) break outer;
        const result = this.step(batches.slice(bi, bi + config.gradAccumulation));
        step++;
        lastLoss = result.loss;
        tokensThisRun += result.tokens;
        const tokensPerSecond = tokensThisRun / Math.max((performance.now() - started) / 1000, 1e-9);
        run.appendMetric({
          step, split: 'train', epoch, loss: result.loss, lr: result.lr, grad_norm: result.gradNorm, ...result.metrics,
          loss_weight: result.weight, tokens_per_s: tokensPerSecond,
        });
        bar?.tick(1, { loss: result.loss, 'tok/s': tokensPerSecond });
        o.onStep?.(step, result.loss);
        const nextBatch = bi + config.gradAccumulation;
        const atEpochEnd = nextBatch >= batches.length;
        if (config.evalEvery > 0 && step % config.evalEvery === 0) validate();
        const checkpointHere = (): void => saveCheckpoint(atEpochEnd ? epoch + 1 : epoch, atEpochEnd ? 0 : nextBatch);
        const checkpointed = config.checkpointEvery > 0 && step % config.checkpointEvery === 0;
        if (checkpointed) checkpointHere();
        try {
          yield;
        } catch (reason) {
          // Cancelled between steps: keep what was trained, so a rerun resumes from this step.
          if (!checkpointed) checkpointHere();
          bar?.finish({ loss: lastLoss });
          this.dispose();
          throw reason;
        }
      }
    }
    if (config.evalEvery === 0 || step % config.evalEvery !== 0) validate();
    average?.copyToParameters();
    bar?.finish({ loss: lastLoss });
    const elapsed = (performance.now() - started) / 1000;
    this.dispose();
    return {
      steps: step,
      finalLoss: lastLoss,
      tokensPerSecond: tokensThisRun / Math.max(elapsed, 1e-9),
      ...(best !== null ? { best } : {}),
      ...(resumedFrom !== undefined ? { resumedFrom } : {}),
    };
  }

  /** Releases the optimizer state. */
  dispose(): void {
    this.optimizer.dispose();
  }
}

/** Loads the best validated parameters (if a validation ran) back into the model. */
export function restoreBest(run: RunDirectory, model: TrainableModel): boolean {
  const file = run.file('best', 'trainable.safetensors');
  if (!existsSync(file)) return false;
  loadParameters(file, model.trainableParameters());
  return true;
}
