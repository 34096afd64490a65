/**
 * Choosing the next token from a logits vector: greedy, temperature, top-k, top-p (nucleus) and the repetition
 * penalty, with a seedable RNG so that a seed reproduces a sample exactly. Pure functions over Float32Array; the
 * `Sampler` only keeps scratch buffers so that decoding allocates nothing per step.
 */
import { Rng } from '../tensor/random.js';

export interface SamplingOptions {
  /** 0 (the default) is greedy decoding. */
  readonly temperature?: number;
  /** Keep only the k most likely tokens (0 or absent: all). */
  readonly topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 or absent: all). */
  readonly topP?: number;
  /** > 1 discourages tokens already in the context (the CTRL / Hugging Face rule); 1 or absent: off. */
  readonly repetitionPenalty?: number;
  readonly seed?: number;
}

/** Index of the largest logit (the first one on ties). */
export function argmax(logits: Float32Array): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    if (logits[i]! > bestValue) {
      bestValue = logits[i]!;
      best = i;
    }
  }
  return best;
}

/**
 * In place: every distinct token of `context` has its logit divided by `penalty` when positive and multiplied
 * when negative, so the penalty always lowers its probability.
 */
export function applyRepetitionPenalty(logits: Float32Array, context: readonly number[], penalty: number): void {
  if (penalty === 1) return;
  const seen = new Set<number>();
  for (const token of context) {
    if (seen.has(token) || token < 0 || token >= logits.length) continue;
    seen.add(token);
    const value = logits[token]!;
    logits[token] = value > 0 ? value / penalty : value * penalty;
  }
}

function validate(options: SamplingOptions): void {
  const { temperature = 0, topK = 0, topP = 1, repetitionPenalty = 1 } = options;
  if (!(temperature >= 0)) throw new RangeError(`temperature must be >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new RangeError(`topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new RangeError(`topP must be in (0, 1], got ${topP}`);
  if (!(repetitionPenalty > 0)) throw new RangeError(`repetitionPenalty must be > 0, got ${repetitionPenalty}`);
}

/** Picks tokens from logits under fixed sampling options; reuses its buffers across calls. */
export class Sampler {
  private readonly rng: Rng;
  private probs = new Float32Array(0);
  private order = new Int32Array(0);

  constructor(readonly options: SamplingOptions = {}) {
    validate(options);
    this.rng = new Rng(options.seed ?? 0);
  }

  /** The next token. Applies the repetition penalty to `logits` in place (the buffer belongs to this step). */
  sample(logits: Float32Array, context: readonly number[] = []): number {
    const { temperature = 0, topK = 0, topP = 1, repetitionPenalty = 1 } = this.options;
    applyRepetitionPenalty(logits, context, repetitionPenalty);
    if (temperature === 0) return argmax(logits);

    const n = logits.length;
    if (this.probs.length !== n) {
      this.probs = new Float32Array(n);
      this.order = new Int32Array(n);
    }
    // softmax(logits / T), computed stably from the maximum.
    const probs = this.probs;
    const max = logits[argmax(logits)]!;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const p = Math.exp((logits[i]! - max) / temperature);
      probs[i] = p;
      sum += p;
    }
    for (let i = 0; i < n; i++) probs[i]! /= sum;
    if (topK === 0 && topP === 1) return this.draw(probs);

    // Candidates in decreasing probability. For top-p alone, a token below (1 - p) / (n - 1) can never enter the
    // nucleus (the rest could not add up to 1 - p), so only the few likely tokens are sorted.
    const floor = topK === 0 && n > 1 ? (1 - topP) / (n - 1) : 0;
    let count = 0;
    for (let i = 0; i < n; i++) if (probs[i]! >= floor) this.order[count++] = i;
    const candidates = this.order.subarray(0, count);
    candidates.sort((a, b) => probs[b]! - probs[a]! || a - b);
    let keep = topK > 0 ? Math.min(topK, count) : count;
    let mass = 0;
    for (let i = 0; i < keep; i++) mass += probs[candidates[i]!]!;
    if (topP < 1) {
      // Renormalise over the top-k survivors, then cut at the first token where the cumulative mass reaches p.
      let cumulative = 0;
      for (let i = 0; i < keep; i++) {
        cumulative += probs[candidates[i]!]! / mass;
        if (cumulative >= topP) {
          keep = i + 1;
          break;
        }
      }
      mass = 0;
      for (let i = 0; i < keep; i++) mass += probs[candidates[i]!]!;
    }
    let r = this.rng.uniform() * mass;
    for (let i = 0; i < keep; i++) {
      r -= probs[candidates[i]!]!;
      if (r < 0) return candidates[i]!;
    }
    return candidates[keep - 1]!;
  }

  private draw(probs: Float32Array): number {
    let r = this.rng.uniform();
    for (let i = 0; i < probs.length; i++) {
      r -= probs[i]!;
      if (r < 0) return i;
    }
    // Rounding left a sliver of mass: the last token with any probability takes it.
    for (let i = probs.length - 1; i >= 0; i--) if (probs[i]! > 0) return i;
    return probs.length - 1;
  }
}
