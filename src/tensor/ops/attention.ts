/**
 * Scaled dot-product attention with grouped KV heads, on the fused attention kernel (the (tq x tk) probabilities
 * are never stored; the backward recomputes them from the row log-sum-exp).
 *
 * q (batch, heads, tq, headDim), k and v (batch, kvHeads, tk, headDim) -> (batch, heads, tq, headDim).
 * heads must be a multiple of kvHeads. With a KVCache, k and v hold only the new positions (tk = tq); they are
 * appended to the cache and the queries attend over everything cached so far.
 */
import { record } from '../autograd.js';
import { keep } from '../scope.js';
import type { Tensor } from '../tensor.js';
import { empty, formatShape, zeros } from '../tensor.js';

/** Keys and values of past positions for incremental decoding: (batch, kvHeads, capacity, headDim) each. */
export class KVCache {
  readonly keys: Tensor;
  readonly values: Tensor;
  /** Positions filled so far. */
  length = 0;

  constructor(
    readonly batch: number,
    readonly kvHeads: number,
    readonly capacity: number,
    readonly headDim: number,
  ) {
    this.keys = keep(zeros([batch, kvHeads, capacity, headDim]));
    this.values = keep(zeros([batch, kvHeads, capacity, headDim]));
  }

  /** Writes k and v (batch, kvHeads, t, headDim) after the cached positions. */
  append(k: Tensor, v: Tensor): void {
    const t = k.shape[2] ?? 0;
    const expected = [this.batch, this.kvHeads, t, this.headDim];
    for (const [name, x] of [['k', k], ['v', v]] as const) {
      if (x.rank !== 4 || x.shape.some((d, i) => d !== expected[i])) {
        throw new Error(`KVCache.append: ${name} must be ${formatShape(expected)}, got ${formatShape(x.shape)}`);
      }
    }
    if (this.length + t > this.capacity) {
      throw new Error(`KVCache.append: ${this.length} cached + ${t} new positions exceed the capacity of ${this.capacity}`);
    }
    const be = this.keys.backend;
    const rowLength = t * this.headDim;
    for (let bh = 0; bh < this.batch * this.kvHeads; bh++) {
      const at = (bh * this.capacity + this.length) * this.headDim;
      be.copy(k.storage, bh * rowLength, this.keys.storage, at, rowLength);
      be.copy(v.storage, bh * rowLength, this.values.storage, at, rowLength);
    }
    this.length += t;
  }

  /** Forgets the cached positions (the buffers are reused). */
  reset(): void {
    this.length = 0;
  }

  dispose(): void {
    this.keys.dispose();
    this.values.dispose();
  }
}

export interface AttentionOptions {
  /** Each query sees only keys at or before its position. Default true. */
  readonly causal?: boolean;
  /** Score scale; default 1 / sqrt(headDim). */
  readonly scale?: number;
  /** Incremental decoding: append k and v to this cache and attend over all of it. Inference only. */
  readonly cache?: KVCache;
}

export function attention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(`attention: q, k and v must be 4-D (batch, heads, t, headDim), got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`);
  }
  const [batch, heads, tq, headDim] = q.shape as [number, number, number, number];
  const [kBatch, kvHeads, tkNew, kDim] = k.shape as [number, number, number, number];
  if (kBatch !== batch || kDim !== headDim || v.shape.some((d, i) => d !== k.shape[i])) {
    throw new Error(`attention: k ${formatShape(k.shape)} and v ${formatShape(v.shape)} do not match q ${formatShape(q.shape)}`);
  }
  if (kvHeads === 0 || heads % kvHeads !== 0) {
    throw new Error(`attention: ${heads} query heads are not a multiple of ${kvHeads} kv heads`);
  }
  const causal = options.causal ?? true;
  const scale = options.scale ?? 1 / Math.sqrt(headDim);
  const cache = options.cache;
  const out = empty(q.shape);
  const lse = empty([batch, heads, tq]);
  const be = out.backend;

  if (cache !== undefined) {
    if ([q, k, v].some((t) => t.requiresGrad)) {
      throw new Error('attention: a KV cache is for inference; run it under noGrad() or with inputs that do not require grad');
    }
    const pastLength = cache.length;
    cache.append(k, v);
    be.attention(q.storage, cache.keys.storage, cache.values.storage, out.storage, lse.storage, {
      batch, heads, kvHeads, tq, tk: cache.length, headDim, pastLength, causal, scale, kvHeadStride: cache.capacity * headDim,
    });
    lse.dispose();
    return out;
  }

  if (causal && tkNew < tq) {
    throw new Error(`attention: causal attention needs at least as many keys as queries, got tq ${tq} and tk ${tkNew}`);
  }
  // With more keys than queries, the queries are the last tq positions (the keys before them are a prefix).
  const p = { batch, heads, kvHeads, tq, tk: tkNew, headDim, pastLength: causal ? tkNew - tq : 0, causal, scale };
  be.attention(q.storage, k.storage, v.storage, out.storage, lse.storage, p);
  record(out, 'attention', [q, k, v], (dOut, grads) => {
    // The kernel accumulates all three gradients; scratch buffers take the ones nobody needs.
    const dq = grads(0) ?? zeros(q.shape);
    const dk = grads(1) ?? zeros(k.shape);
    const dv = grads(2) ?? zeros(v.shape);
    dOut.backend.attentionBackward(q.storage, k.storage, v.storage, out.storage, lse.storage, dOut.storage, dq.storage, dk.storage, dv.storage, p);
  }, [lse]);
  return out;
}
