/**
 * Rotary position embedding. x (batch, heads, t, headDim) -> same shape, rotating the pairs (i, i + headDim/2) by
 * the angle position * invFreq[i]. `ropeInvFreq` computes the inverse frequencies, with optional Llama-3 scaling.
 */
import { isRecording, record } from '../autograd.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape } from '../tensor.js';

/** Llama-3 ("llama3" rope_type) frequency scaling. */
export interface Llama3RopeScaling {
  readonly factor: number;
  readonly lowFreqFactor: number;
  readonly highFreqFactor: number;
  readonly originalMaxPositions: number;
}

/**
 * invFreq[i] = theta^(-2i / headDim) for i < headDim / 2. With Llama-3 scaling, wavelengths longer than
 * originalMaxPositions / lowFreqFactor are divided by factor, those shorter than originalMaxPositions /
 * highFreqFactor are kept, and the band between is interpolated smoothly.
 */
export function ropeInvFreq(headDim: number, theta: number, scaling?: Llama3RopeScaling): Float32Array {
  if (!Number.isInteger(headDim) || headDim <= 0 || headDim % 2 !== 0) throw new Error(`ropeInvFreq: headDim must be a positive even integer, got ${headDim}`);
  if (!(theta > 0)) throw new Error(`ropeInvFreq: theta must be positive, got ${theta}`);
  const half = headDim / 2;
  const invFreq = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    const base = theta ** (-(2 * i) / headDim);
    invFreq[i] = scaling === undefined ? base : llama3Scale(base, scaling);
  }
  return invFreq;
}

function llama3Scale(invFreq: number, s: Llama3RopeScaling): number {
  const lowFreqWavelength = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelength = s.originalMaxPositions / s.highFreqFactor;
  const wavelength = (2 * Math.PI) / invFreq;
  if (wavelength < highFreqWavelength) return invFreq;
  if (wavelength > lowFreqWavelength) return invFreq / s.factor;
  const smooth = (s.originalMaxPositions / wavelength - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
  return (1 - smooth) * (invFreq / s.factor) + smooth * invFreq;
}

export interface RopeOptions {
  readonly invFreq: Float32Array;
  /** Absolute position of the first row (a KV cache's past length). Default 0. */
  readonly startPosition?: number;
  /** Per-row absolute positions (batch * t), e.g. for left-padded batches. */
  readonly positions?: Int32Array;
}

export function rope(x: Tensor, options: RopeOptions): Tensor {
  if (x.rank !== 4) throw new Error(`rope: x must be (batch, heads, t, headDim), got ${formatShape(x.shape)}`);
  const [batch, heads, t, headDim] = x.shape as [number, number, number, number];
  if (options.invFreq.length * 2 !== headDim) {
    throw new Error(`rope: invFreq has ${options.invFreq.length} entries, expected headDim / 2 = ${headDim / 2}`);
  }
  if (options.positions !== undefined && options.positions.length !== batch * t) {
    throw new Error(`rope: positions has ${options.positions.length} entries, expected batch * t = ${batch * t}`);
  }
  const p = {
    batch, heads, t, headDim, startPosition: options.startPosition ?? 0, invFreq: options.invFreq,
    ...(options.positions === undefined ? {} : { positions: options.positions }),
  };
  const out = empty(x.shape);
  out.backend.rope(x.storage, out.storage, p, false);
  if (isRecording(x)) record(out, 'rope', [x], (dy, grads) => {
    const dX = grads(0);
    if (dX === null) return;
    // The rotation is orthogonal: its gradient is the inverse rotation of dy.
    const rotated = empty(x.shape);
    dy.backend.rope(dy.storage, rotated.storage, p, true);
    dy.backend.axpby(1, rotated.storage, 1, dX.storage, x.size);
  });
  return out;
}
