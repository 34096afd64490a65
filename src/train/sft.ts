/**
 * Supervised fine-tuning: AdamW over the model's trainable parameters (whatever the caller selected: all of them,
 * LoRA adapters, new token rows), gradient accumulation, warmup + cosine/linear/constant schedule, periodic
 * validation with best-checkpoint selection, and checkpoints from which a killed run resumes exactly — same
 * parameters, optimizer moments, schedule position, RNG and data position — so its loss curve continues as if it
 * had never stopped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { WeightTensor } from '../formats/types.js';
import type { Parameter } from '../nn/parameter.js';
import { AdamW } from '../nn/optim/adamw.js';
import { ParameterAverage } from '../nn/optim/average.js';
import { clipGradNorm } from '../nn/optim/clip.js';
import type { OptimizerState } from '../nn/optim/optimizer.js';
import { constantSchedule, cosineSchedule, linearSchedule } from '../nn/optim/schedule.js';
import type { LrSchedule } from '../nn/optim/schedule.js';
import { valueAndGrad, noGrad } from '../tensor/autograd.js';
import { scale } from '../tensor/ops/elementwise.js';
import type { ClassRange } from '../tensor/backend.js';
import type { LabelSmoothingOptions } from '../tensor/ops/linearCrossEntropy.js';
import type { LossOptions } from '../models/decoder.js';
import type { Rng, RngState } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { ProgressBar } from '../report/progress.js';
import { writeJsonAtomic } from '../util/fs.js';
import { epochOrder, makeBatches } from './batches.js';
import type { TokenizedExample, TrainBatch } from './batches.js';
import { RunDirectory } from './run-dir.js';

/** What the trainer needs of a model. */
export interface TrainableModel {
  /** Mean next-token loss over positions whose target is not -100 (label-smoothed when asked). */
  loss(inputIds: Int32Array, targets: Int32Array, batch: number, t: number, options?: LossOptions): Tensor;
  /** Parameters to update (not frozen), by stable name. */
  trainableParameters(): [string, Parameter][];
  /** The generator of the model's dropout masks, if it draws any; checkpoints save and restore its state. */
  readonly dropoutRng?: Rng | null;
  /** Switches training behaviour (dropout) on or off; validation runs with it off. */
  train?(on: boolean): unknown;
  /** Sets the model's own dropout rate (SftConfig.dropout), seeding its mask generator. */
  setDropout?(rate: number, seed: number): void;
}

/** Runs `fn` with the model in evaluation mode, then back in training mode. */
function inEvalMode<T>(model: TrainableModel, fn: () => T): T {
  model.train?.(false);
  try {
    return fn();
  } finally {
    model.train?.(true);
  }
}

export interface SftConfig {
  readonly epochs: number;
  readonly batchSize: number;
  readonly gradAccumulation: number;
  readonly lr: number;
  readonly schedule: 'cosine' | 'linear' | 'constant';
  /** Warmup as a ratio of total steps (< 1) or a step count (>= 1). */
  readonly warmup: number;
  readonly minLr: number;
  readonly weightDecay: number;
  /** Residual dropout of the model while training (0: none); needs a model with setDropout. */
  readonly dropout: number;
  readonly maxGradNorm: number;
  readonly maxLength: number;
  readonly packing: boolean;
  /** Without packing, batch examples of similar length together (see BatchingOptions.groupByLength). */
  readonly groupByLength: boolean;
  readonly padId: number;
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
  /**
   * Label smoothing of the training loss (0: none): 1 - e on the target, e spread over the vocabulary. It keeps a
   * model that fits its training set from becoming certain, which helps the ranking below its first answer.
   */
  readonly labelSmoothing?: number;
  /**
   * Smooth among these token ids only, and only rows whose target is one of them (default: the whole vocabulary).
   * For ToolGen retrieval, the tool tokens: the model is kept from certainty about which tool, not about the text.
   */
  readonly smoothingClasses?: ClassRange;
}

export const defaultSftConfig: SftConfig = {
  epochs: 1,
  batchSize: 8,
  gradAccumulation: 1,
  lr: 1e-3,
  schedule: 'cosine',
  warmup: 0.03,
  minLr: 0,
  weightDecay: 0,
  dropout: 0,
  maxGradNorm: 1,
  maxLength: 512,
  packing: false,
  groupByLength: false,
  padId: 0,
  seed: 0,
  evalEvery: 0,
  checkpointEvery: 0,
};

export interface Evaluation {
  /** Metrics to log, e.g. { val_loss: 0.3, accuracy: 0.9 }. */
  readonly metrics: Record<string, number>;
  /** The value used to pick the best checkpoint; higher is better. */
  readonly score: number;
}

export interface SftOptions {
  readonly model: TrainableModel;
  readonly train: readonly TokenizedExample[];
  readonly validation?: readonly TokenizedExample[];
  readonly config: SftConfig;
  readonly run: RunDirectory;
  /** Extra validation (e.g. retrieval accuracy); default: the negative validation loss. */
  readonly evaluate?: () => Evaluation;
  /** Called after every optimizer step (tests use it to stop a run in a known place). */
  readonly onStep?: (step: number, loss: number) => void;
  readonly showProgress?: boolean;
}

export interface SftResult {
  readonly steps: number;
  readonly finalLoss: number;
  readonly best?: { readonly step: number; readonly score: number };
  readonly resumedFrom?: number;
  readonly tokensPerSecond: number;
}

interface TrainerState {
  readonly step: number;
  readonly epoch: number;
  /** Index of the next batch within the epoch. */
  readonly batchInEpoch: number;
  /** State of the model's dropout generator (null when the model draws no random numbers). */
  readonly rng: RngState | null;
  readonly best: { step: number; score: number } | null;
  readonly lastLoss: number;
}

/** Mean loss over examples (token-weighted), without gradients. */
export function validationLoss(model: TrainableModel, examples: readonly TokenizedExample[], config: SftConfig): number {
  const batches = makeBatches(examples, examples.map((_, i) => i), { batchSize: config.batchSize, maxLength: config.maxLength, packing: false, padId: config.padId });
  let total = 0;
  let tokens = 0;
  inEvalMode(model, () => noGrad(() => {
    for (const b of batches) {
      if (b.lossTokens === 0) continue;
      total += tidy(() => model.loss(b.inputIds, b.targets, b.batch, b.t).item()) * b.lossTokens;
      tokens += b.lossTokens;
    }
  }));
  return tokens > 0 ? total / tokens : NaN;
}

function makeSchedule(config: SftConfig, totalSteps: number): LrSchedule {
  const o = { peak: config.lr, totalSteps, warmup: config.warmup, min: config.minLr };
  return config.schedule === 'cosine' ? cosineSchedule(o) : config.schedule === 'linear' ? linearSchedule(o) : constantSchedule(o);
}

function checkConfig(c: SftConfig): void {
  const positiveInts: (keyof SftConfig)[] = ['epochs', 'batchSize', 'gradAccumulation', 'maxLength'];
  for (const k of positiveInts) {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`training config: ${k} must be a positive integer, got ${String(v)}`);
  }
  if (!(c.lr > 0)) throw new Error(`training config: lr must be > 0, got ${c.lr}`);
  if (!((c.dropout ?? 0) >= 0 && (c.dropout ?? 0) < 1)) throw new Error(`training config: dropout must be in [0, 1), got ${c.dropout}`);
  const decay = c.averageDecay ?? 0;
  if (!(decay >= 0 && decay < 1)) throw new Error(`training config: averageDecay must be in [0, 1) (0: no weight averaging), got ${decay}`);
  const smoothing = c.labelSmoothing ?? 0;
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`training config: labelSmoothing must be in [0, 1), got ${smoothing}`);
}

/** Soft labels are the smoothing distribution: they need smoothing, over as many classes as they have. */
function checkSoftLabels(train: readonly TokenizedExample[], c: SftConfig): void {
  const soft = train.find((e) => (e.softLabels?.length ?? 0) > 0)?.softLabels?.[0];
  if (soft === undefined) return;
  if (!((c.labelSmoothing ?? 0) > 0)) throw new Error('training config: the examples have soft labels (a teacher\'s distributions), which need labelSmoothing > 0, the weight they get');
  if (c.smoothingClasses === undefined) throw new Error('training config: soft labels need smoothingClasses, the classes their distributions are over');
  const classes = c.smoothingClasses.end - c.smoothingClasses.start;
  if (soft.distribution.length !== classes) throw new Error(`training config: soft labels have ${soft.distribution.length} classes, smoothingClasses ${c.smoothingClasses.start}..${c.smoothingClasses.end - 1} has ${classes}`);
}

/** Trains; resumes from the run's latest checkpoint when there is one. */
export function trainSft(o: SftOptions): SftResult {
  const { model, config, run } = o;
  checkConfig(config);
  if (config.dropout > 0) {
    if (model.setDropout === undefined) throw new Error('trainSft: dropout > 0 needs a model with its own dropout (setDropout)');
    model.setDropout(config.dropout, config.seed);
  }
  checkSoftLabels(o.train, config);
  const params = model.trainableParameters();
  if (params.length === 0) throw new Error('trainSft: the model has no trainable parameters (everything is frozen)');
  const probe = makeBatches(o.train, o.train.map((_, i) => i), { batchSize: config.batchSize, maxLength: config.maxLength, packing: config.packing, padId: config.padId });
  if (probe.length === 0) throw new Error('trainSft: no training example has at least two tokens');
  const stepsPerEpoch = Math.ceil(probe.length / config.gradAccumulation);
  const totalSteps = stepsPerEpoch * config.epochs;

  const decay = params.filter(([, p]) => p.shape.length >= 2);
  const noDecay = params.filter(([, p]) => p.shape.length < 2);
  const optimizer = new AdamW(
    [{ params: decay, weightDecay: config.weightDecay }, { params: noDecay, weightDecay: 0 }],
    { lr: makeSchedule(config, totalSteps), weightDecay: config.weightDecay },
  );

  const smoothing: LabelSmoothingOptions = config.labelSmoothing ? { labelSmoothing: config.labelSmoothing, smoothingClasses: config.smoothingClasses } : {};
  const average = (config.averageDecay ?? 0) > 0 ? new ParameterAverage(params, config.averageDecay!) : null;
  let state: TrainerState = { step: 0, epoch: 0, batchInEpoch: 0, rng: model.dropoutRng?.state() ?? null, best: null, lastLoss: NaN };
  const latest = run.latestCheckpoint();
  let resumedFrom: number | undefined;
  if (latest !== undefined) {
    state = restoreCheckpoint(latest.dir, params, optimizer, average);
    run.truncateMetrics(state.step);
    resumedFrom = state.step;
  }
  if (state.rng !== null && model.dropoutRng) model.dropoutRng.setState(state.rng);

  model.train?.(true);
  const limit = Math.min(totalSteps, config.maxSteps ?? Infinity);
  const bar = o.showProgress === false ? undefined : new ProgressBar({ total: limit, label: 'train', unit: 'step' });
  if (bar && state.step > 0) bar.tick(state.step);
  const started = performance.now();
  let tokensThisRun = 0;
  let step = state.step;
  let best = state.best;
  let lastLoss = state.lastLoss;

  const saveCheckpoint = (epoch: number, batchInEpoch: number): void => {
    const trainerState: TrainerState = { step, epoch, batchInEpoch, rng: model.dropoutRng?.state() ?? null, best, lastLoss };
    run.saveCheckpoint(step, (dir) => writeCheckpoint(dir, params, optimizer.state(), trainerState, average));
  };
  // With averaging, what is validated and kept as best is the average, the weights the run will end with.
  const validate = (): void => (average === null ? validateCurrent() : average.withAveraged(validateCurrent));
  const validateCurrent = (): void => {
    const metrics: Record<string, number> = {};
    let score: number | undefined;
    if (o.validation && o.validation.length > 0) {
      metrics.val_loss = validationLoss(model, o.validation, config);
      score = -metrics.val_loss;
    }
    if (o.evaluate) {
      const e = inEvalMode(model, o.evaluate);
      Object.assign(metrics, e.metrics);
      score = e.score;
    }
    if (score === undefined) return;
    run.appendMetric({ step, split: 'validation', ...metrics });
    if (best === null || score > best.score) {
      best = { step, score };
      writeSafetensors(run.file('best', 'trainable.safetensors'), paramTensors(params));
      writeJsonAtomic(run.file('best', 'best.json'), { step, score, metrics });
    }
  };

  outer: for (let epoch = state.epoch; epoch < config.epochs; epoch++) {
    const batches = makeBatches(o.train, epochOrder(o.train.length, config.seed, epoch), {
      batchSize: config.batchSize, maxLength: config.maxLength, packing: config.packing, groupByLength: config.groupByLength, padId: config.padId,
    });
    const first = epoch === state.epoch ? state.batchInEpoch : 0;
    for (let bi = first; bi < batches.length; bi += config.gradAccumulation) {
      if (step >= limit) break outer;
      const micro = batches.slice(bi, bi + config.gradAccumulation);
      const { loss, tokens } = accumulate(model, micro, smoothing);
      const gradNorm = config.maxGradNorm > 0 ? clipGradNorm(params.map(([, p]) => p), config.maxGradNorm) : NaN;
      const lr = optimizer.lr;
      optimizer.step();
      optimizer.zeroGrad();
      step++;
      average?.update(step);
      lastLoss = loss;
      tokensThisRun += micro.reduce((s, b) => s + b.batch * b.t, 0);
      const elapsed = (performance.now() - started) / 1000;
      const tokensPerSecond = tokensThisRun / Math.max(elapsed, 1e-9);
      run.appendMetric({ step, split: 'train', epoch, loss, lr, grad_norm: gradNorm, loss_tokens: tokens, tokens_per_s: tokensPerSecond });
      bar?.tick(1, { loss, 'tok/s': tokensPerSecond });
      o.onStep?.(step, loss);
      const nextBatch = bi + config.gradAccumulation;
      const atEpochEnd = nextBatch >= batches.length;
      if (config.evalEvery > 0 && step % config.evalEvery === 0) validate();
      if (config.checkpointEvery > 0 && step % config.checkpointEvery === 0) {
        saveCheckpoint(atEpochEnd ? epoch + 1 : epoch, atEpochEnd ? 0 : nextBatch);
      }
    }
  }
  if (config.evalEvery === 0 || step % config.evalEvery !== 0) validate();
  average?.copyToParameters();
  bar?.finish({ loss: lastLoss });
  const elapsed = (performance.now() - started) / 1000;
  const result: SftResult = {
    steps: step,
    finalLoss: lastLoss,
    tokensPerSecond: tokensThisRun / Math.max(elapsed, 1e-9),
    ...(best !== null ? { best } : {}),
    ...(resumedFrom !== undefined ? { resumedFrom } : {}),
  };
  optimizer.dispose();
  return result;
}

/** Loads the best validated parameters (if a validation ran) back into the model. */
export function restoreBest(run: RunDirectory, model: TrainableModel): boolean {
  const file = run.file('best', 'trainable.safetensors');
  if (!existsSync(file)) return false;
  loadParams(file, model.trainableParameters());
  return true;
}

function accumulate(model: TrainableModel, micro: readonly TrainBatch[], smoothing: LabelSmoothingOptions): { loss: number; tokens: number } {
  const tokens = micro.reduce((s, b) => s + b.lossTokens, 0);
  let loss = 0;
  if (tokens === 0) return { loss: NaN, tokens };
  for (const b of micro) {
    if (b.lossTokens === 0) continue;
    // Each micro-batch's mean is weighted by its share of loss tokens, so the sum is the token mean of the batch.
    const weight = b.lossTokens / tokens;
    const options = b.softLabels === undefined ? smoothing : { ...smoothing, softLabels: b.softLabels };
    loss += valueAndGrad(() => scale(model.loss(b.inputIds, b.targets, b.batch, b.t, options), weight));
  }
  return { loss, tokens };
}

function paramTensors(params: readonly [string, Parameter][]): WeightTensor[] {
  return params.map(([name, p]) => ({ name, shape: [...p.shape], data: p.toArray() }));
}

function loadParams(file: string, params: readonly [string, Parameter][]): void {
  const reader = openSafetensors(file);
  try {
    const names = new Set(reader.names());
    for (const [name, p] of params) {
      if (!names.has(name)) throw new Error(`${file}: no tensor for trainable parameter ${name}`);
      const data = reader.read(name);
      if (data.length !== p.size) throw new Error(`${file}: tensor ${name} has ${data.length} values, the parameter has ${p.size}`);
      p.backend.copy(p.backend.upload(data), 0, p.storage, 0, data.length);
    }
  } finally {
    reader.close();
  }
}

const AVERAGE_FILE = 'average.safetensors';

function writeCheckpoint(dir: string, params: readonly [string, Parameter][], opt: OptimizerState, trainer: TrainerState, average: ParameterAverage | null): void {
  writeSafetensors(join(dir, 'trainable.safetensors'), paramTensors(params));
  if (average !== null) writeSafetensors(join(dir, AVERAGE_FILE), average.tensors());
  const buffers: WeightTensor[] = [];
  for (const [param, entry] of Object.entries(opt.buffers)) {
    for (const [name, b] of Object.entries(entry)) buffers.push({ name: `${param}::${name}`, shape: [...b.shape], data: b.data });
  }
  writeSafetensors(join(dir, 'optimizer.safetensors'), buffers);
  writeJsonAtomic(join(dir, 'trainer.json'), { ...trainer, optimizerStep: opt.step });
}

function restoreCheckpoint(dir: string, params: readonly [string, Parameter][], optimizer: AdamW, average: ParameterAverage | null): TrainerState {
  const trainerFile = join(dir, 'trainer.json');
  let parsed: TrainerState & { optimizerStep: number };
  try {
    parsed = JSON.parse(readFileSync(trainerFile, 'utf8')) as TrainerState & { optimizerStep: number };
  } catch (err) {
    throw new Error(`checkpoint ${dir} is unreadable (${(err as Error).message}); delete it to restart from the previous one`);
  }
  loadParams(join(dir, 'trainable.safetensors'), params);
  const reader = openSafetensors(join(dir, 'optimizer.safetensors'));
  const buffers: Record<string, Record<string, { shape: number[]; data: Float32Array }>> = {};
  try {
    for (const full of reader.names()) {
      const sep = full.lastIndexOf('::');
      const param = full.slice(0, sep);
      const name = full.slice(sep + 2);
      (buffers[param] ??= {})[name] = { shape: reader.shape(full), data: reader.read(full) };
    }
  } finally {
    reader.close();
  }
  optimizer.loadState({ step: parsed.optimizerStep, buffers });
  if (average !== null) {
    const file = join(dir, AVERAGE_FILE);
    if (!existsSync(file)) throw new Error(`checkpoint ${dir} has no ${AVERAGE_FILE}: it was written without weight averaging; resume with the run's original averageDecay or start a new run`);
    const averages = openSafetensors(file);
    try {
      const names = new Set(averages.names());
      average.load(file, (name) => (names.has(name) ? averages.read(name) : undefined));
    } finally {
      averages.close();
    }
  }
  return parsed;
}
