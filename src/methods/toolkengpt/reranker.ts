/**
 * Toolken+'s reranker. When the head fires, its top-k tools and a Reject option are reranked with the tools'
 * documentation; Reject means "emit the best vocabulary token instead". The Toolken+ paper's exact reranker could
 * not be retrieved, so this follows the design of the student project ErenSenoglu/toolken: a prompt lists the
 * top-k tools' documentation and `REJ: continue without a tool`, then the context; the frozen model's last hidden
 * state over that prompt is scored against trainable candidate embeddings (one per tool, one for Reject), with
 * cross-entropy over the candidates + Reject.
 *
 * Training examples are mined from the head's behaviour on held-out training text: positions whose gold target is
 * a tool (the gold tool joins the candidates when the head did not rank it) and positions where the head would
 * fire on a plain token (label Reject).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { seededRandom, shuffled } from '../../util/random.js';
import type { HeadFeatures } from './head.js';

/** The candidate list prompt: the top-k tools' documentation, Reject, then the context. */
export function rerankPrompt(candidates: readonly string[], docs: ReadonlyMap<string, string>, context: string): string {
  const lines = candidates.map((tool, i) => `${i + 1}. ${tool}: ${docs.get(tool) ?? tool}`);
  return `Tools:\n${lines.join('\n')}\nREJ: continue without a tool\n\n${context}`;
}

/** One mined example: the candidate tools (indices), the hidden state of its prompt, the label (-1: Reject). */
export interface RerankExample {
  readonly candidates: readonly number[];
  readonly hidden: Float32Array;
  readonly label: number;
}

/** A position of a held-out text that the reranker learns from, before its prompt is run through the model. */
export interface MinedPosition {
  readonly text: number;
  readonly position: number;
  readonly candidates: readonly number[];
  /** The gold tool, or -1 (Reject) where the head fires on a plain token. */
  readonly label: number;
}

/** Ranks the tools at one cached position by head logit. */
function rankTools(rows: Float32Array, toolCount: number, f: HeadFeatures, p: number): { ranked: number[]; best: number } {
  const { dim } = f;
  const scores = Array.from({ length: toolCount }, (_, k) => {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += rows[k * dim + d]! * f.hidden[p * dim + d]!;
    return dot;
  });
  const ranked = scores.map((_, k) => k).sort((a, b) => scores[b]! - scores[a]!);
  return { ranked, best: scores[ranked[0]!]! };
}

/**
 * Mines reranker positions from held-out texts: every toolken position (label the gold tool, candidates the head's
 * top-k with the gold tool put in when missing) and every plain position where the head (with `toolBias`) would
 * beat the best vocabulary token (label Reject).
 */
export function mineRerankPositions(rows: Float32Array, toolCount: number, features: readonly HeadFeatures[], topK: number, toolBias: number): MinedPosition[] {
  const out: MinedPosition[] = [];
  features.forEach((f, text) => {
    for (let p = 0; p < f.label.length; p++) {
      const label = f.label[p]!;
      if (label === -1) continue;
      const { ranked, best } = rankTools(rows, toolCount, f, p);
      const fires = best + toolBias > f.maxLogit[p]!;
      if (label >= 0) {
        const top = ranked.slice(0, topK);
        out.push({ text, position: p, candidates: top.includes(label) ? top : [...top.slice(0, topK - 1), label], label });
      } else if (fires) {
        out.push({ text, position: p, candidates: ranked.slice(0, topK), label: -1 });
      }
    }
  });
  return out;
}

export interface RerankerTrainingOptions {
  readonly epochs: number;
  readonly lr: number;
  readonly seed: number;
}

export const defaultRerankerTraining: RerankerTrainingOptions = { epochs: 40, lr: 5e-3, seed: 0 };

/** Trainable candidate embeddings: rows 0..K-1 for the tools, row K for Reject. */
export interface Reranker {
  readonly toolCount: number;
  readonly dim: number;
  readonly rows: Float32Array;
  /**
   * How much the reranker's choice must outscore the head's own top tool (the first candidate) to replace it by
   * another tool or by Reject: 0 follows the reranker, Infinity keeps the head (Toolken+ = ToolkenGPT). Chosen on
   * held-out mined positions (`tuneOverrideMargin`); absent: 0.
   */
  readonly margin?: number;
}

/** Scores of the candidates then Reject (last). */
export function rerankScores(reranker: Reranker, candidates: readonly number[], hidden: Float32Array): number[] {
  const { dim, rows, toolCount } = reranker;
  return [...candidates, toolCount].map((c) => {
    let dot = 0;
    for (let d = 0; d < dim; d++) dot += rows[c * dim + d]! * hidden[d]!;
    return dot;
  });
}

/**
 * The reranker's choice: a tool index or 'reject'. `candidates[0]` is the head's own top tool; another choice
 * replaces it only when it outscores it by more than the reranker's margin.
 */
export function rerank(reranker: Reranker, candidates: readonly number[], hidden: Float32Array, margin = reranker.margin ?? 0): number | 'reject' {
  const scores = rerankScores(reranker, candidates, hidden);
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  if (best !== 0 && !(scores[best]! - scores[0]! > margin)) best = 0;
  return best === candidates.length ? 'reject' : candidates[best]!;
}

/** The override margins `tuneOverrideMargin` tries, from following the reranker to keeping the head. */
export const OVERRIDE_MARGINS: readonly number[] = [0, 0.5, 1, 2, 4, Infinity];

/**
 * The margin whose choices are right most often on held-out examples (the gold tool, or Reject where the head fired
 * on a plain token), the larger on ties: the reranker overrides the head only as far as that pays on text it
 * was not trained on.
 */
export function tuneOverrideMargin(reranker: Reranker, heldOut: readonly RerankExample[]): { margin: number; accuracy: number } {
  let best = { margin: Infinity, accuracy: -1 };
  for (const margin of OVERRIDE_MARGINS) {
    const right = heldOut.filter((ex) => {
      const choice = rerank(reranker, ex.candidates, ex.hidden, margin);
      return ex.label === -1 ? choice === 'reject' : choice === ex.label;
    }).length;
    const accuracy = heldOut.length === 0 ? 0 : right / heldOut.length;
    if (accuracy >= best.accuracy) best = { margin, accuracy };
  }
  return best;
}

/**
 * Trains the candidate embeddings with Adam on cross-entropy over each example's candidates + Reject. Tool rows
 * start from the head's rows (`init`), the Reject row from zero.
 */
export function trainReranker(examples: readonly RerankExample[], init: Float32Array, toolCount: number, o: RerankerTrainingOptions): Reranker {
  if (examples.length === 0) throw new RangeError('trainReranker: no mined examples (the head never fired on the held-out text)');
  const dim = examples[0]!.hidden.length;
  const size = (toolCount + 1) * dim;
  const rows = new Float32Array(size);
  rows.set(init.subarray(0, toolCount * dim));
  const reranker: Reranker = { toolCount, dim, rows };
  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const random = seededRandom(o.seed);
  let step = 0;
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    for (const ex of shuffled(examples, random)) {
      const scores = rerankScores(reranker, ex.candidates, ex.hidden);
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const z = exps.reduce((a, b) => a + b, 0);
      const target = ex.label === -1 ? ex.candidates.length : ex.candidates.indexOf(ex.label);
      step++;
      const c1 = 1 - 0.9 ** step;
      const c2 = 1 - 0.999 ** step;
      [...ex.candidates, toolCount].forEach((c, i) => {
        const g = exps[i]! / z - (i === target ? 1 : 0);
        for (let d = 0; d < dim; d++) {
          const at = c * dim + d;
          const gd = g * ex.hidden[d]!;
          m[at] = 0.9 * m[at]! + 0.1 * gd;
          v[at] = 0.999 * v[at]! + 0.001 * gd * gd;
          rows[at]! -= (o.lr * (m[at]! / c1)) / (Math.sqrt(v[at]! / c2) + 1e-8);
        }
      });
    }
  }
  return reranker;
}

const RERANKER_FORMAT = 'toolken-toolkenplus-reranker/1';

/** A margin as JSON writes it: JSON has no Infinity, so a margin that always keeps the head is null. */
export function marginJson(margin: number): number | null {
  return Number.isFinite(margin) ? margin : null;
}

/** Writes `reranker.json` and `reranker.bin` (float32 rows: the tools', then Reject's) beside a head. */
export function saveReranker(dir: string, reranker: Reranker): void {
  writeFileAtomic(join(dir, 'reranker.bin'), new Uint8Array(reranker.rows.buffer, reranker.rows.byteOffset, reranker.rows.byteLength));
  const margin = reranker.margin === undefined ? undefined : marginJson(reranker.margin);
  writeJsonAtomic(join(dir, 'reranker.json'), { format: RERANKER_FORMAT, toolCount: reranker.toolCount, dim: reranker.dim, ...(margin === undefined ? {} : { margin }) });
}

/** Reads the reranker saved beside a head; null when there is none. It must match the head's tools and width. */
export function loadReranker(dir: string, toolCount: number, dim: number): Reranker | null {
  const file = join(dir, 'reranker.json');
  if (!existsSync(file)) return null;
  let meta: { format?: unknown; toolCount?: unknown; dim?: unknown; margin?: unknown };
  try {
    meta = JSON.parse(readFileSync(file, 'utf8')) as typeof meta;
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (meta.format !== RERANKER_FORMAT) throw new Error(`${file}: format ${JSON.stringify(meta.format)} is not ${RERANKER_FORMAT}`);
  if (meta.toolCount !== toolCount || meta.dim !== dim) throw new Error(`${file}: the reranker has ${String(meta.toolCount)} tools of width ${String(meta.dim)}, the head ${toolCount} of width ${dim}; retrain them together`);
  const bytes = readFileSync(join(dir, 'reranker.bin'));
  if (bytes.byteLength !== (toolCount + 1) * dim * 4) throw new Error(`${join(dir, 'reranker.bin')}: ${bytes.byteLength} bytes, expected ${(toolCount + 1) * dim * 4}`);
  if (meta.margin !== undefined && meta.margin !== null && !(typeof meta.margin === 'number' && meta.margin >= 0)) {
    throw new Error(`${file}: margin must be a number >= 0 or null (keep the head), got ${JSON.stringify(meta.margin)}`);
  }
  const rows = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { toolCount, dim, rows, ...(meta.margin === undefined ? {} : { margin: meta.margin === null ? Infinity : meta.margin }) };
}
