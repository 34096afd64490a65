/**
 * The ToolkenGPT head: K output rows of width hidden (no bias), trained with the base model frozen.
 *
 * Labels follow the original: the hidden state at the last token before a tool result predicts the toolken in
 * place of the result's first token; the positions predicting the result's other tokens are ignored; every other
 * position keeps its next token, so cross-entropy over the joint [vocabulary ; tools] logits also teaches the head
 * when not to fire (`toolPositionsOnly` keeps only the toolken positions, as VirtualHome used).
 *
 * Because the base is frozen, its hidden states are computed once and cached. Joint cross-entropy then only needs,
 * per position, the hidden state, the log-sum-exp of the vocabulary logits and the target token's logit: with
 * tool logits t = W h, loss = log(exp(lse_vocab) + sum_k exp(t_k)) - (t_target or z_target). Training the head is
 * then K x hidden work per position and epoch instead of a forward pass of the base model.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DecoderModel } from '../../models/decoder.js';
import { ProgressBar } from '../../report/progress.js';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { seededRandom, shuffled } from '../../util/random.js';
import { baseIdentity, hiddenAndLogits, type BaseIdentity } from './model.js';
import type { TokenizedToolText } from './spans.js';
import { errorWithCode } from '../../util/errors.js';

/** Cached per-position training data of one text. */
export interface HeadFeatures {
  readonly dim: number;
  /** (positions, dim) hidden states. */
  readonly hidden: Float32Array;
  /** Log-sum-exp of the vocabulary logits per position. */
  readonly lse: Float32Array;
  /** The largest vocabulary logit per position (a tool beating it wins greedy decoding). */
  readonly maxLogit: Float32Array;
  /** The vocabulary logit of the target token (when the target is a token). */
  readonly targetLogit: Float32Array;
  /** Per position: -1 ignored, -2 a vocabulary target, k >= 0 the toolken k. */
  readonly label: Int32Array;
}

const IGNORED = -1;
const VOCAB_TARGET = -2;

/** Runs the frozen base once over a text and keeps what head training needs. */
export function headFeatures(model: DecoderModel, example: TokenizedToolText, tools: readonly string[]): HeadFeatures {
  const { ids, spans } = example;
  const n = ids.length - 1;
  const { dim, vocabSize } = model.config;
  const { hidden, logits } = hiddenAndLogits(model, ids.slice(0, n));
  const label = new Int32Array(n).fill(VOCAB_TARGET);
  for (const span of spans) {
    const k = tools.indexOf(span.tool);
    if (k === -1) throw new RangeError(`a span names the tool ${span.tool}, which is not among the head's tools (${tools.join(', ')})`);
    if (span.start >= 1) label[span.start - 1] = k;
    for (let p = span.start; p < span.end - 1; p++) label[p] = IGNORED;
  }
  const lse = new Float32Array(n);
  const maxLogit = new Float32Array(n);
  const targetLogit = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const row = logits.subarray(p * vocabSize, (p + 1) * vocabSize);
    let max = -Infinity;
    for (const v of row) if (v > max) max = v;
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    lse[p] = max + Math.log(sum);
    maxLogit[p] = max;
    targetLogit[p] = row[ids[p + 1]!]!;
  }
  return { dim, hidden: hidden.subarray(0, n * dim), lse, maxLogit, targetLogit, label };
}

export interface HeadTrainingOptions {
  readonly epochs: number;
  readonly lr: number;
  readonly batchPositions: number;
  /** Fraction of texts held out for validation (best head by validation F1). */
  readonly validationFraction: number;
  /** The texts to hold out, in place of a seeded random `validationFraction` of them (cross-fitting). */
  readonly heldOut?: readonly number[];
  readonly toolPositionsOnly: boolean;
  readonly seed: number;
  readonly progress?: boolean;
}

export const defaultHeadTraining: HeadTrainingOptions = { epochs: 10, lr: 1e-3, batchPositions: 256, validationFraction: 0.1, toolPositionsOnly: false, seed: 0 };

/** How well a head fires: on the right token with the right tool. */
export interface FiringScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  readonly loss: number;
}

export interface HeadEpoch {
  readonly epoch: number;
  readonly trainLoss: number;
  readonly validation: FiringScore;
}

export interface TrainedHead {
  readonly rows: Float32Array;
  /** Indices of the texts held out for validation (never trained on; Toolken+ mines its examples there). */
  readonly validation: readonly number[];
  readonly history: readonly HeadEpoch[];
  readonly bestEpoch: number;
  readonly seconds: number;
}

interface Position {
  readonly text: number;
  readonly at: number;
}

/** Loss and (optionally) gradient of one position; returns the predicted entry (-1: a vocabulary token). */
function positionStep(
  rows: Float32Array, k: number, f: HeadFeatures, p: number, grad: Float32Array | null, logitsBuffer: Float64Array, toolBias = 0,
): { loss: number; predicted: number } {
  const { dim } = f;
  const h = f.hidden.subarray(p * dim, (p + 1) * dim);
  let max = f.lse[p]!;
  let best = -1;
  let bestValue = -Infinity;
  for (let j = 0; j < k; j++) {
    let dot = 0;
    const off = j * dim;
    for (let d = 0; d < dim; d++) dot += rows[off + d]! * h[d]!;
    logitsBuffer[j] = dot;
    if (dot > max) max = dot;
    if (dot > bestValue) {
      bestValue = dot;
      best = j;
    }
  }
  let sum = Math.exp(f.lse[p]! - max);
  for (let j = 0; j < k; j++) sum += Math.exp(logitsBuffer[j]! - max);
  const logZ = max + Math.log(sum);
  const label = f.label[p]!;
  const loss = logZ - (label >= 0 ? logitsBuffer[label]! : f.targetLogit[p]!);
  if (grad !== null) {
    for (let j = 0; j < k; j++) {
      const g = Math.exp(logitsBuffer[j]! - logZ) - (label === j ? 1 : 0);
      if (g === 0) continue;
      const off = j * dim;
      for (let d = 0; d < dim; d++) grad[off + d]! += g * h[d]!;
    }
  }
  return { loss, predicted: bestValue + toolBias > f.maxLogit[p]! ? best : -1 };
}

/**
 * Scores firing on texts as greedy decoding would: a position fires when a tool's logit plus `toolBias` beats every
 * vocabulary logit; a true positive fires the labelled tool at a toolken position. The loss ignores the bias.
 */
export function scoreFiring(rows: Float32Array, k: number, features: readonly HeadFeatures[], toolBias = 0): FiringScore {
  let fired = 0;
  let truePositives = 0;
  let toolPositions = 0;
  let loss = 0;
  let counted = 0;
  const buffer = new Float64Array(k);
  for (const f of features) {
    for (let p = 0; p < f.label.length; p++) {
      const label = f.label[p]!;
      if (label === IGNORED) continue;
      const { loss: l, predicted } = positionStep(rows, k, f, p, null, buffer, toolBias);
      loss += l;
      counted++;
      if (label >= 0) toolPositions++;
      if (predicted >= 0) {
        fired++;
        if (predicted === label) truePositives++;
      }
    }
  }
  const precision = fired === 0 ? 0 : truePositives / fired;
  const recall = toolPositions === 0 ? 0 : truePositives / toolPositions;
  return { precision, recall, f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall), loss: counted === 0 ? 0 : loss / counted };
}

/** Tool logit biases tried by `tuneToolBias`: 0 to 10 in steps of 0.5 (the original used 2.7 to 10 by task). */
export const TOOL_BIAS_GRID: readonly number[] = Array.from({ length: 21 }, (_, i) => i / 2);

/**
 * The tool logit bias to decode with, chosen on held-out texts: the original tuned `logits_bias` per task by hand
 * (2.7 FuncQA one-hop, 4.0 multi-hop, 3.0 GSM8K-XL, 10 KAMEL and VirtualHome for LLaMA); this picks the bias of the
 * best firing F1, the smallest among equals.
 */
export function tuneToolBias(rows: Float32Array, k: number, validation: readonly HeadFeatures[], grid: readonly number[] = TOOL_BIAS_GRID): { bias: number; f1: number } {
  let best = { bias: grid[0] ?? 0, f1: -1 };
  for (const bias of grid) {
    const { f1 } = scoreFiring(rows, k, validation, bias);
    if (f1 > best.f1) best = { bias, f1 };
  }
  return best;
}

/** Trains K tool rows over cached features with Adam; keeps the rows of the epoch with the best validation F1. */
export function trainHead(features: readonly HeadFeatures[], toolCount: number, o: HeadTrainingOptions): TrainedHead {
  if (features.length < 2) throw new RangeError('trainHead: need at least two texts (training and validation)');
  const started = performance.now();
  const dim = features[0]!.dim;
  const random = seededRandom(o.seed);
  const order = shuffled(features.map((_, i) => i), random);
  const validationIndices = o.heldOut === undefined ? order.slice(0, Math.max(1, Math.round(features.length * o.validationFraction))) : [...o.heldOut];
  const heldOut = new Set(validationIndices);
  if (heldOut.size === 0 || heldOut.size >= features.length || validationIndices.some((i) => !(i >= 0 && i < features.length))) {
    throw new RangeError(`trainHead: heldOut must name some but not all of the ${features.length} texts by index`);
  }
  const validation = validationIndices.map((i) => features[i]!);
  const train = order.filter((i) => !heldOut.has(i)).map((i) => features[i]!);
  const positions: Position[] = [];
  train.forEach((f, text) => {
    for (let at = 0; at < f.label.length; at++) {
      const label = f.label[at]!;
      if (label === IGNORED || (o.toolPositionsOnly && label < 0)) continue;
      positions.push({ text, at });
    }
  });
  const size = toolCount * dim;
  const rows = new Float32Array(size);
  const grad = new Float32Array(size);
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const buffer = new Float64Array(toolCount);
  const beta1 = 0.9;
  const beta2 = 0.999;
  let step = 0;
  let best = { f1: -1, loss: Infinity, epoch: 0, rows: rows.slice() };
  const history: HeadEpoch[] = [];
  const steps = Math.ceil(positions.length / o.batchPositions);
  const bar = o.progress === true ? new ProgressBar({ total: o.epochs * steps, label: 'toolken head' }) : null;
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    const epochOrder = shuffled(positions, random);
    let lossSum = 0;
    for (let b = 0; b < epochOrder.length; b += o.batchPositions) {
      const batch = epochOrder.slice(b, b + o.batchPositions);
      grad.fill(0);
      for (const { text, at } of batch) lossSum += positionStep(rows, toolCount, train[text]!, at, grad, buffer).loss;
      step++;
      const c1 = 1 - beta1 ** step;
      const c2 = 1 - beta2 ** step;
      for (let i = 0; i < size; i++) {
        const g = grad[i]! / batch.length;
        m[i] = beta1 * m[i]! + (1 - beta1) * g;
        v[i] = beta2 * v[i]! + (1 - beta2) * g * g;
        rows[i]! -= (o.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + 1e-8);
      }
      bar?.tick(1);
    }
    const score = scoreFiring(rows, toolCount, validation);
    history.push({ epoch, trainLoss: lossSum / Math.max(1, positions.length), validation: score });
    if (score.f1 > best.f1 || (score.f1 === best.f1 && score.loss < best.loss)) best = { f1: score.f1, loss: score.loss, epoch, rows: rows.slice() };
  }
  bar?.finish();
  return { rows: best.rows, validation: validationIndices, history, bestEpoch: best.epoch, seconds: (performance.now() - started) / 1000 };
}

/** A saved head: its rows, its tools (row order) and the base model it was trained on. */
export interface ToolHead {
  readonly tools: readonly string[];
  readonly dim: number;
  readonly rows: Float32Array;
  readonly base: BaseIdentity;
  /** The tool logit bias tuned on the head's validation texts (`tuneToolBias`); decoding uses it unless told otherwise. */
  readonly toolBias?: number;
}

export class HeadError extends errorWithCode('TOOLKEN_HEAD_INVALID') {}

const HEAD_FORMAT = 'toolken-toolkengpt-head/1';

/** Writes `head.json` (tools, base identity) and `head.bin` (rows, float32 little-endian) into `dir`. */
export function saveHead(dir: string, head: ToolHead, extra: Record<string, unknown> = {}): void {
  writeFileAtomic(join(dir, 'head.bin'), new Uint8Array(head.rows.buffer, head.rows.byteOffset, head.rows.byteLength));
  const bias = head.toolBias === undefined ? {} : { toolBias: head.toolBias };
  writeJsonAtomic(join(dir, 'head.json'), { format: HEAD_FORMAT, tools: head.tools, dim: head.dim, base: head.base, ...bias, ...extra });
}

/** Reads a head saved by saveHead and checks that it belongs to `model`. */
export function loadHead(dir: string, model: DecoderModel): ToolHead {
  const file = join(dir, 'head.json');
  if (!existsSync(file)) throw new HeadError(`${file}: no head here (train one with \`toolken train toolkengpt\`)`);
  let meta: { format?: unknown; tools?: unknown; dim?: unknown; base?: BaseIdentity; toolBias?: unknown };
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as typeof meta;
  } catch (err) {
    throw new HeadError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (meta.format !== HEAD_FORMAT) throw new HeadError(`${file}: format ${JSON.stringify(meta.format)} is not ${HEAD_FORMAT}`);
  const tools = meta.tools;
  if (!Array.isArray(tools) || !tools.every((t) => typeof t === 'string') || tools.length === 0) throw new HeadError(`${file}: "tools" must be a non-empty list of names`);
  const identity = baseIdentity(model);
  const base = meta.base;
  if (base === undefined || base.sha256 !== identity.sha256) {
    throw new HeadError(
      `${file}: this head was trained on another base model (${base?.family ?? '?'}, dim ${base?.dim ?? '?'}, weights ${String(base?.sha256 ?? '?').slice(0, 12)}) ` +
        `than the one given (${identity.family}, dim ${identity.dim}, weights ${identity.sha256.slice(0, 12)}); load the model it was trained on or train a head for this one`,
    );
  }
  const binFile = join(dir, 'head.bin');
  if (!existsSync(binFile)) throw new HeadError(`${binFile}: the head's rows are missing`);
  const bytes = readFileSync(binFile);
  const expected = tools.length * identity.dim * 4;
  if (bytes.byteLength !== expected) throw new HeadError(`${binFile}: ${bytes.byteLength} bytes, expected ${expected} (${tools.length} tools x ${identity.dim} x float32)`);
  const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const { toolBias } = meta;
  if (toolBias !== undefined && !(typeof toolBias === 'number' && Number.isFinite(toolBias))) throw new HeadError(`${file}: "toolBias" must be a finite number, got ${JSON.stringify(toolBias)}`);
  return { tools: tools as string[], dim: identity.dim, rows, base, ...(toolBias === undefined ? {} : { toolBias }) };
}
