/**
 * The files of one training checkpoint and their exact restore:
 *
 *   trainable.safetensors   the trainable parameters, by name
 *   optimizer.safetensors   each parameter's optimizer buffers, named `<parameter>::<buffer>`
 *   average.safetensors     the moving average of the weights (only with weight averaging)
 *   trainer.json            the loop's position: step, epoch, next batch, dropout generator, best score, last loss,
 *                           matmul precision, optimizer step and the objective's own state
 *
 * Checkpoints come back from disk, so everything read is checked before it is used: every trainer.json field has
 * its type and range, every tensor name belongs to a parameter the model has (names are Map keys, never object
 * keys, so `__proto__::m` is just an unknown parameter), and sizes match.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CheckpointError } from '../formats/errors.js';
import { openSafetensors, writeSafetensors } from '../formats/safetensors.js';
import type { WeightTensor } from '../formats/types.js';
import type { ParameterAverage } from '../nn/optim/average.js';
import type { Optimizer, SavedBuffer } from '../nn/optim/optimizer.js';
import type { Parameter } from '../nn/parameter.js';
import type { MatmulPrecision } from '../tensor/backend.js';
import { isMatmulPrecision, MATMUL_PRECISIONS } from '../tensor/precision.js';
import type { RngState } from '../tensor/random.js';
import { writeJsonAtomic } from '../util/fs.js';
import type { ObjectiveState } from './objective.js';

/** Where the loop stands at a checkpoint. */
export interface LoopState {
  readonly step: number;
  readonly epoch: number;
  /** Index of the next micro-batch within the epoch. */
  readonly batchInEpoch: number;
  /** State of the model's dropout generator (null when the model draws no random numbers). */
  readonly rng: RngState | null;
  readonly best: { readonly step: number; readonly score: number } | null;
  /** The last step's loss (NaN before the first step or when a step had no loss tokens). */
  readonly lastLoss: number;
  /** The matmul precision the run trains at (TrainerConfig.precision); checkpoints written before it was recorded
   * read as 'fp32', the only precision there was. */
  readonly precision: MatmulPrecision;
  /** What Objective.state returned (absent for objectives without state). */
  readonly objective?: ObjectiveState;
}

export const TRAINER_FILE = 'trainer.json';
const TRAINABLE_FILE = 'trainable.safetensors';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const AVERAGE_FILE = 'average.safetensors';
/** Separates parameter and buffer names in optimizer.safetensors. */
const BUFFER_SEPARATOR = '::';

export function parameterTensors(params: readonly (readonly [string, Parameter])[]): WeightTensor[] {
  return params.map(([name, p]) => ({ name, shape: [...p.shape], data: p.toArray() }));
}

/** Reads every parameter from a safetensors file written by parameterTensors. */
export function loadParameters(file: string, params: readonly (readonly [string, Parameter])[]): void {
  const reader = openSafetensors(file);
  try {
    const names = new Set(reader.names());
    for (const [name, p] of params) {
      if (!names.has(name)) throw new CheckpointError(`${file}: no tensor for trainable parameter ${name}`);
      const data = reader.read(name);
      if (data.length !== p.size) throw new CheckpointError(`${file}: tensor ${name} has ${data.length} values, the parameter has ${p.size}`);
      p.backend.copy(p.backend.upload(data), 0, p.storage, 0, data.length);
    }
  } finally {
    reader.close();
  }
}

export function writeCheckpoint(
  dir: string, params: readonly (readonly [string, Parameter])[], optimizer: Optimizer, loop: LoopState, average: ParameterAverage | null,
): void {
  writeSafetensors(join(dir, TRAINABLE_FILE), parameterTensors(params));
  if (average !== null) writeSafetensors(join(dir, AVERAGE_FILE), average.tensors());
  const state = optimizer.state();
  const buffers: WeightTensor[] = [];
  for (const [param, entry] of state.buffers) {
    for (const [name, b] of entry) buffers.push({ name: `${param}${BUFFER_SEPARATOR}${name}`, shape: [...b.shape], data: b.data });
  }
  writeSafetensors(join(dir, OPTIMIZER_FILE), buffers);
  writeJsonAtomic(join(dir, TRAINER_FILE), { ...loop, lastLoss: Number.isFinite(loop.lastLoss) ? loop.lastLoss : null, optimizerStep: state.step });
}

/** Restores parameters, optimizer and average from `dir`; returns the loop state. */
export function restoreCheckpoint(
  dir: string, params: readonly (readonly [string, Parameter])[], optimizer: Optimizer, average: ParameterAverage | null,
): LoopState {
  const { loop, optimizerStep } = readLoopState(join(dir, TRAINER_FILE));
  loadParameters(join(dir, TRAINABLE_FILE), params);
  const optimizerFile = join(dir, OPTIMIZER_FILE);
  const known = new Set(params.map(([name]) => name));
  const reader = openSafetensors(optimizerFile);
  const buffers = new Map<string, Map<string, SavedBuffer>>();
  try {
    for (const full of reader.names()) {
      const sep = full.lastIndexOf(BUFFER_SEPARATOR);
      const param = full.slice(0, Math.max(sep, 0));
      const name = full.slice(sep + BUFFER_SEPARATOR.length);
      if (sep <= 0 || name === '') throw new CheckpointError(`${optimizerFile}: tensor '${full}' is not named <parameter>${BUFFER_SEPARATOR}<buffer>`);
      if (!known.has(param)) throw new CheckpointError(`${optimizerFile}: optimizer state for '${param}', which is not a trainable parameter of this model; the checkpoint belongs to another model or selection`);
      let entry = buffers.get(param);
      if (entry === undefined) buffers.set(param, (entry = new Map()));
      entry.set(name, { shape: reader.shape(full), data: reader.read(full) });
    }
  } finally {
    reader.close();
  }
  try {
    optimizer.loadState({ step: optimizerStep, buffers });
  } catch (err) {
    throw new CheckpointError(`${optimizerFile}: ${(err as Error).message}`);
  }
  if (average !== null) {
    const file = join(dir, AVERAGE_FILE);
    if (!existsSync(file)) throw new CheckpointError(`checkpoint ${dir} has no ${AVERAGE_FILE}: it was written without weight averaging; resume with the run's original averageDecay or start a new run`);
    const averages = openSafetensors(file);
    try {
      const names = new Set(averages.names());
      average.load(file, (name) => (names.has(name) ? averages.read(name) : undefined));
    } finally {
      averages.close();
    }
  }
  return loop;
}

/** Parses and checks trainer.json: every field has its type and range, or the error names the file and field. */
export function readLoopState(file: string): { loop: LoopState; optimizerStep: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CheckpointError(`${file} is unreadable (${(err as Error).message}); delete its checkpoint folder to resume from the previous one`);
  }
  const fail = (field: string, problem: string): never => {
    throw new CheckpointError(`${file}: field "${field}" ${problem}; the checkpoint is damaged: delete its folder to resume from the previous one`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('(top level)', 'must be a JSON object');
  const o = raw as Record<string, unknown>;
  const count = (field: string, value: unknown = Object.hasOwn(o, field) ? o[field] : undefined): number => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) fail(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
    return value as number;
  };
  const step = count('step');
  const epoch = count('epoch');
  const batchInEpoch = count('batchInEpoch');
  const optimizerStep = count('optimizerStep');
  const lastLoss = o.lastLoss === null ? NaN : o.lastLoss;
  if (typeof lastLoss !== 'number' || lastLoss === Infinity || lastLoss === -Infinity) fail('lastLoss', `must be a finite number or null, got ${JSON.stringify(o.lastLoss)}`);
  const precision = Object.hasOwn(o, 'precision') ? o.precision : 'fp32';
  if (!isMatmulPrecision(precision)) fail('precision', `must be one of ${MATMUL_PRECISIONS.join(', ')}, got ${JSON.stringify(o.precision)}`);

  let rng: RngState | null = null;
  if (o.rng !== null) {
    const r = o.rng as Record<string, unknown> | undefined;
    const words = typeof r === 'object' && r !== null ? r.words : undefined;
    if (!Array.isArray(words) || words.length !== 4 || words.some((w) => !Number.isInteger(w) || (w as number) < 0 || (w as number) > 0xffffffff) || words.every((w) => w === 0)) {
      fail('rng.words', 'must be four unsigned 32-bit integers, not all 0');
    }
    const spare = r!.spareNormal;
    if (spare !== null && (typeof spare !== 'number' || !Number.isFinite(spare))) fail('rng.spareNormal', `must be a finite number or null, got ${JSON.stringify(spare)}`);
    rng = { words: [...(words as number[])] as [number, number, number, number], spareNormal: spare as number | null };
  }

  let best: LoopState['best'] = null;
  if (o.best !== null) {
    const b = o.best as Record<string, unknown> | undefined;
    if (typeof b !== 'object' || b === null) fail('best', 'must be null or { step, score }');
    const bestStep = count('best.step', b!.step);
    if (bestStep > step) fail('best.step', `is ${bestStep}, after the checkpoint's step ${step}`);
    // A validation without any labelled token scores NaN, which JSON writes as null.
    const score = b!.score === null ? NaN : b!.score;
    if (typeof score !== 'number' || score === Infinity || score === -Infinity) fail('best.score', `must be a finite number or null, got ${JSON.stringify(b!.score)}`);
    best = { step: bestStep, score: score as number };
  }
  const loop: LoopState = { step, epoch, batchInEpoch, rng, best, lastLoss: lastLoss as number, precision: precision as MatmulPrecision, ...(Object.hasOwn(o, 'objective') ? { objective: o.objective as ObjectiveState } : {}) };
  return { loop, optimizerStep };
}
