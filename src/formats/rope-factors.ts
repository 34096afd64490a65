/**
 * Llama-3 rope scaling as GGUF stores it. Hugging Face describes it with four numbers (factor, low/high frequency
 * factors, original context); llama.cpp stores the result instead: a `rope_freqs.weight` vector of per-frequency
 * divisors of the unscaled rotary frequencies. Export computes that vector; loading recovers an equivalent set of
 * the four numbers, so the model (and a Hugging Face directory written from it) rotates exactly as the file says.
 */
import { ropeInvFreq, type Llama3RopeScaling } from '../tensor/ops/rope.js';
import type { RopeScaling } from './types.js';

export const ROPE_FREQS_TENSOR = 'rope_freqs.weight';

/** The context length Llama 3 was pretrained with, assumed when a file does not state the original one. */
const DEFAULT_ORIGINAL_CONTEXT = 8192;

/** llama.cpp's rope_freqs: unscaled / scaled inverse frequency for each of the headDim / 2 rotary pairs. */
export function llama3RopeFactors(headDim: number, theta: number, scaling: Llama3RopeScaling): Float32Array {
  const base = ropeInvFreq(headDim, theta);
  const scaled = ropeInvFreq(headDim, theta, scaling);
  return base.map((b, i) => b / scaled[i]!);
}

/**
 * Llama-3 scaling parameters that reproduce `factors` (to 1e-4 relative), null when every factor is 1 (no
 * scaling), undefined when the factors do not have the Llama-3 shape (1 at high frequencies, `factor` at low ones,
 * a smooth ramp between). The factors fix only the two wavelength thresholds, so `originalContext` (the file's,
 * or 8192) picks the scale of the other two numbers.
 */
export function fitLlama3Scaling(
  factors: Float32Array, headDim: number, theta: number, originalContext = DEFAULT_ORIGINAL_CONTEXT,
): RopeScaling | null | undefined {
  if (factors.length !== headDim / 2 || factors.some((f) => !(f >= 1 - 1e-5))) return undefined;
  const factor = Math.max(...factors);
  if (factor <= 1 + 1e-6) return null;
  // u = 1 / wavelength of each rotary pair; the ramp s = (original * u - low) / (high - low) is linear in u.
  const u = Array.from(ropeInvFreq(headDim, theta), (f) => f / (2 * Math.PI));
  const isOne = (i: number): boolean => Math.abs(factors[i]! - 1) <= 1e-5;
  const isFull = (i: number): boolean => Math.abs(factors[i]! - factor) <= 1e-5 * factor;
  const ramp = u.map((_, i) => i).filter((i) => !isOne(i) && !isFull(i));
  const lowBand = Math.max(0, ...u.filter((_, i) => isFull(i)));
  const highBand = Math.min(...u.filter((_, i) => isOne(i)), Number.POSITIVE_INFINITY);
  // s per ramp point from 1 / f = (1 - s) / factor + s.
  const s = ramp.map((i) => (1 / factors[i]! - 1 / factor) / (1 - 1 / factor));
  let slope: number;
  let zeroAt: number; // the u where the ramp starts (s = 0), i.e. low / original
  if (ramp.length >= 2) {
    const n = ramp.length;
    const mu = ramp.reduce((a, i) => a + u[i]!, 0) / n;
    const ms = s.reduce((a, v) => a + v, 0) / n;
    let num = 0;
    let den = 0;
    ramp.forEach((i, k) => {
      num += (u[i]! - mu) * (s[k]! - ms);
      den += (u[i]! - mu) ** 2;
    });
    slope = num / den;
    zeroAt = mu - ms / slope;
  } else if (ramp.length === 1) {
    const at = u[ramp[0]!]!;
    zeroAt = (lowBand + at) / 2;
    slope = s[0]! / (at - zeroAt);
  } else {
    if (!Number.isFinite(highBand)) return undefined;
    zeroAt = lowBand + (highBand - lowBand) / 3;
    slope = 3 / (highBand - lowBand);
  }
  if (!(slope > 0) || !Number.isFinite(zeroAt)) return undefined;
  const low = zeroAt * originalContext;
  const high = low + originalContext / slope;
  const fitted: Llama3RopeScaling = { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: originalContext };
  const again = llama3RopeFactors(headDim, theta, fitted);
  if (again.some((f, i) => Math.abs(f - factors[i]!) > 1e-4 * factors[i]!)) return undefined;
  return {
    rope_type: 'llama3', factor, low_freq_factor: low, high_freq_factor: high, original_max_position_embeddings: originalContext,
  };
}
