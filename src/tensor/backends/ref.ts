/**
 * The reference backend: every kernel of the interface in plain TypeScript, written to be read and trusted rather
 * than to be fast. It is the oracle the native backend is compared against (src/tensor/testing/conformance.ts),
 * so each kernel follows the math of its doc comment in backend.ts directly, accumulating sums in float64.
 *
 * Conventions this backend fixes for every implementation (the conformance suite checks them):
 * - `gelu` is the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (GPT-2, llm.c).
 * - `accumulate` applies to every output of a kernel (dx and dWeight/dBias alike).
 * - `attentionBackward`, `embeddingBackward` and `linearCrossEntropyBackward` always add into their outputs.
 * - `linearCrossEntropy` writes lse 0 (and, when asked for, row loss 0) for rows that carry no loss.
 */
import { bf16Rounded, roundToBf16 } from '../bf16.js';
import { dequantize, quantizedByteLength } from '../quant.js';
import { uninitializedFloats } from './host-memory.js';
import type {
  AdamWParams,
  AttentionParams,
  Backend,
  BinaryOp,
  LinearCrossEntropyParams,
  RopeParams,
  Storage,
  UnaryOp,
} from '../backend.js';

/** Host storage is a Float32Array; anything else was allocated by another backend. */
function host(s: Storage): Float32Array {
  if (!(s instanceof Float32Array)) throw new Error('ref backend: storage was not allocated by a host backend');
  return s;
}

/**
 * The smoothing classes of a linear cross-entropy, the smoothing of a row with a given target, and a row's share of
 * that smoothing for class v (its smoothing target, or uniform).
 */
function smoothingOf(p: LinearCrossEntropyParams): { start: number; end: number; forTarget: (target: number) => number; share: (row: number, v: number) => number } {
  const { start, end } = p.smoothingClasses ?? { start: 0, end: p.vocab };
  const classes = end - start;
  const q = p.smoothingTargets;
  return {
    start, end,
    forTarget: (target) => (target >= start && target < end ? p.labelSmoothing ?? 0 : 0),
    share: q === undefined ? () => 1 / classes : (row, v) => q[row * classes + v - start]!,
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

function unaryValue(op: UnaryOp, x: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'square': return x * x;
    case 'silu': return x * sigmoid(x);
    case 'gelu': return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_C * x * x * x)));
    case 'relu': return x > 0 ? x : 0;
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return sigmoid(x);
  }
}

/** d op(x) / dx */
function unaryDerivative(op: UnaryOp, x: number): number {
  switch (op) {
    case 'neg': return -1;
    case 'exp': return Math.exp(x);
    case 'log': return 1 / x;
    case 'sqrt': return 0.5 / Math.sqrt(x);
    case 'rsqrt': return -0.5 / (x * Math.sqrt(x));
    case 'square': return 2 * x;
    case 'silu': {
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case 'gelu': {
      const u = SQRT_2_OVER_PI * (x + GELU_C * x * x * x);
      const th = Math.tanh(u);
      const du = SQRT_2_OVER_PI * (1 + 3 * GELU_C * x * x);
      return 0.5 * (1 + th) + 0.5 * x * (1 - th * th) * du;
    }
    case 'relu': return x > 0 ? 1 : 0;
    case 'tanh': {
      const th = Math.tanh(x);
      return 1 - th * th;
    }
    case 'sigmoid': {
      const s = sigmoid(x);
      return s * (1 - s);
    }
  }
}

function binaryValue(op: BinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
  }
}

/** Writes value into out[i], adding to the old content when accumulating. */
function store(out: Float32Array, i: number, value: number, accumulate: boolean): void {
  out[i] = accumulate ? out[i]! + value : value;
}

export const refBackend: Backend = {
  name: 'ref',
  threads: 1,

  alloc(length) {
    return new Float32Array(length);
  },
  allocUninitialized(length) {
    return uninitializedFloats(length);
  },
  upload(data) {
    return new Float32Array(data);
  },
  download(s) {
    return host(s);
  },
  fill(out, value, offset = 0, length) {
    const o = host(out);
    o.fill(value, offset, length === undefined ? o.length : offset + length);
  },
  copy(src, srcOffset, out, outOffset, length) {
    host(out).set(host(src).subarray(srcOffset, srcOffset + length), outOffset);
  },
  copyStrided(src, offset, shape, strides, out) {
    const s = host(src);
    const o = host(out);
    const rank = shape.length;
    const index = new Array<number>(rank).fill(0);
    const total = shape.reduce((a, b) => a * b, 1);
    let at = offset;
    for (let i = 0; i < total; i++) {
      o[i] = s[at]!;
      // Odometer increment of the multi-index, keeping `at` in step with it.
      for (let d = rank - 1; d >= 0; d--) {
        index[d]!++;
        at += strides[d]!;
        if (index[d]! < shape[d]!) break;
        at -= strides[d]! * shape[d]!;
        index[d] = 0;
      }
    }
  },

  // C[b] (m, n) = alpha * op(A[b]) (m, k) @ op(B[b]) (k, n)
  matmul(a, b, out, p) {
    // bf16: the exact reference of the rounded inputs, products and sums in float64 (native kernels sum in fp32).
    const bf16 = p.precision === 'bf16';
    const A = bf16 ? bf16Rounded(host(a)) : host(a);
    const B = bf16 ? bf16Rounded(host(b)) : host(b);
    const C = host(out);
    const { batch, m, n, k, transA, transB } = p;
    const strideA = p.strideA ?? m * k;
    const strideB = p.strideB ?? k * n;
    const alpha = p.alpha ?? 1;
    const accumulate = p.accumulate ?? false;
    for (let bi = 0; bi < batch; bi++) {
      const a0 = bi * strideA;
      const b0 = bi * strideB;
      const c0 = bi * m * n;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let l = 0; l < k; l++) {
            const av = transA ? A[a0 + l * m + i]! : A[a0 + i * k + l]!;
            const bv = transB ? B[b0 + j * k + l]! : B[b0 + l * n + j]!;
            acc += av * bv;
          }
          store(C, c0 + i * n + j, alpha * acc, accumulate);
        }
      }
    }
  },

  quantizedMatmul(x, w, out, p) {
    // The exact product with the dequantized weight: what the int8 paths approximate (backend.ts states the bound);
    // bf16 weights multiply bf16-rounded activations, as every backend's bf16 path does.
    const { m, n, k, type } = p;
    const bytes = quantizedByteLength(type, n, k);
    if (w.byteLength < bytes) throw new Error(`ref.quantizedMatmul: w has ${w.byteLength} bytes but a ${type} (${n}, ${k}) weight takes ${bytes}`);
    const W = dequantize({ type, rows: n, cols: k, data: w.subarray(0, bytes) });
    const X = type === 'bf16' ? bf16Rounded(host(x).subarray(0, m * k)) : host(x);
    const O = host(out);
    const accumulate = p.accumulate ?? false;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc += X[i * k + l]! * W[j * k + l]!;
        store(O, i * n + j, acc, accumulate);
      }
    }
  },

  binary(op, a, b, out, size, bSize) {
    const A = host(a);
    const B = host(b);
    const O = host(out);
    for (let i = 0; i < size; i++) O[i] = binaryValue(op, A[i]!, B[i % bSize]!);
  },
  unary(op, x, out, size) {
    const X = host(x);
    const O = host(out);
    for (let i = 0; i < size; i++) O[i] = unaryValue(op, X[i]!);
  },
  unaryBackward(op, x, dy, dx, size, accumulate) {
    const X = host(x);
    const DY = host(dy);
    const DX = host(dx);
    for (let i = 0; i < size; i++) store(DX, i, DY[i]! * unaryDerivative(op, X[i]!), accumulate);
  },
  axpby(alpha, x, beta, out, size) {
    const X = host(x);
    const O = host(out);
    for (let i = 0; i < size; i++) O[i] = beta === 0 ? alpha * X[i]! : alpha * X[i]! + beta * O[i]!;
  },
  // x (outer, inner) -> out (inner)
  sumOuter(x, out, outer, inner, accumulate) {
    const X = host(x);
    const O = host(out);
    for (let j = 0; j < inner; j++) {
      let acc = 0;
      for (let i = 0; i < outer; i++) acc += X[i * inner + j]!;
      store(O, j, acc, accumulate);
    }
  },
  // x (rows, cols) -> out (rows)
  sumRows(x, out, rows, cols, accumulate) {
    const X = host(x);
    const O = host(out);
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let c = 0; c < cols; c++) acc += X[r * cols + c]!;
      store(O, r, acc, accumulate);
    }
  },
  sumSquares(x, size) {
    const X = host(x);
    let acc = 0;
    for (let i = 0; i < size; i++) acc += X[i]! * X[i]!;
    return acc;
  },
  swiglu(gate, up, out, size) {
    const G = host(gate);
    const U = host(up);
    const O = host(out);
    for (let i = 0; i < size; i++) O[i] = unaryValue('silu', G[i]!) * U[i]!;
  },
  swigluBackward(gate, up, dy, dGate, dUp, size, accumulate) {
    const G = host(gate);
    const U = host(up);
    const DY = host(dy);
    const DG = host(dGate);
    const DU = host(dUp);
    for (let i = 0; i < size; i++) {
      store(DG, i, DY[i]! * U[i]! * unaryDerivative('silu', G[i]!), accumulate);
      store(DU, i, DY[i]! * unaryValue('silu', G[i]!), accumulate);
    }
  },

  // x (rows, dim), weight (dim) -> out (rows, dim), rstd (rows)
  rmsnorm(x, weight, out, rstd, rows, dim, eps) {
    const X = host(x);
    const W = host(weight);
    const O = host(out);
    const R = host(rstd);
    for (let r = 0; r < rows; r++) {
      const x0 = r * dim;
      let ss = 0;
      for (let i = 0; i < dim; i++) ss += X[x0 + i]! * X[x0 + i]!;
      const rs = 1 / Math.sqrt(ss / dim + eps);
      R[r] = rs;
      for (let i = 0; i < dim; i++) O[x0 + i] = X[x0 + i]! * rs * W[i]!;
    }
  },
  // y_i = x_i r w_i with r = (mean(x^2) + eps)^-1/2:  dx_i = r w_i dy_i - x_i r^3 / dim * sum_j(w_j dy_j x_j)
  rmsnormBackward(x, weight, rstd, dy, dx, dWeight, rows, dim, accumulate) {
    const X = host(x);
    const W = host(weight);
    const R = host(rstd);
    const DY = host(dy);
    const DX = host(dx);
    const DW = dWeight === null ? null : host(dWeight);
    const dwAcc = DW === null ? null : new Float64Array(dim);
    for (let r = 0; r < rows; r++) {
      const x0 = r * dim;
      const rs = R[r]!;
      let dot = 0;
      for (let i = 0; i < dim; i++) dot += W[i]! * DY[x0 + i]! * X[x0 + i]!;
      const c = (rs * rs * rs * dot) / dim;
      for (let i = 0; i < dim; i++) {
        store(DX, x0 + i, rs * W[i]! * DY[x0 + i]! - X[x0 + i]! * c, accumulate);
        if (dwAcc !== null) dwAcc[i] = dwAcc[i]! + DY[x0 + i]! * X[x0 + i]! * rs;
      }
    }
    if (DW !== null && dwAcc !== null) for (let i = 0; i < dim; i++) store(DW, i, dwAcc[i]!, accumulate);
  },
  layernorm(x, weight, bias, out, mean, rstd, rows, dim, eps) {
    const X = host(x);
    const W = host(weight);
    const Bi = bias === null ? null : host(bias);
    const O = host(out);
    const M = host(mean);
    const R = host(rstd);
    for (let r = 0; r < rows; r++) {
      const x0 = r * dim;
      let s = 0;
      for (let i = 0; i < dim; i++) s += X[x0 + i]!;
      const mu = s / dim;
      let v = 0;
      for (let i = 0; i < dim; i++) v += (X[x0 + i]! - mu) ** 2;
      const rs = 1 / Math.sqrt(v / dim + eps);
      M[r] = mu;
      R[r] = rs;
      for (let i = 0; i < dim; i++) O[x0 + i] = (X[x0 + i]! - mu) * rs * W[i]! + (Bi === null ? 0 : Bi[i]!);
    }
  },
  // xhat = (x - mean) r;  dx_i = r (g_i - mean(g) - xhat_i mean(g xhat)) with g = dy w
  layernormBackward(x, weight, mean, rstd, dy, dx, dWeight, dBias, rows, dim, accumulate) {
    const X = host(x);
    const W = host(weight);
    const M = host(mean);
    const R = host(rstd);
    const DY = host(dy);
    const DX = host(dx);
    const dwAcc = new Float64Array(dim);
    const dbAcc = new Float64Array(dim);
    for (let r = 0; r < rows; r++) {
      const x0 = r * dim;
      const mu = M[r]!;
      const rs = R[r]!;
      let gMean = 0;
      let gxMean = 0;
      for (let i = 0; i < dim; i++) {
        const g = DY[x0 + i]! * W[i]!;
        gMean += g;
        gxMean += g * (X[x0 + i]! - mu) * rs;
      }
      gMean /= dim;
      gxMean /= dim;
      for (let i = 0; i < dim; i++) {
        const xhat = (X[x0 + i]! - mu) * rs;
        store(DX, x0 + i, rs * (DY[x0 + i]! * W[i]! - gMean - xhat * gxMean), accumulate);
        dwAcc[i] = dwAcc[i]! + DY[x0 + i]! * xhat;
        dbAcc[i] = dbAcc[i]! + DY[x0 + i]!;
      }
    }
    if (dWeight !== null) for (let i = 0; i < dim; i++) store(host(dWeight), i, dwAcc[i]!, accumulate);
    if (dBias !== null) for (let i = 0; i < dim; i++) store(host(dBias), i, dbAcc[i]!, accumulate);
  },

  // x (rows, cols) -> out (rows, cols)
  softmax(x, out, rows, cols, log) {
    const X = host(x);
    const O = host(out);
    for (let r = 0; r < rows; r++) {
      const x0 = r * cols;
      let max = -Infinity;
      for (let c = 0; c < cols; c++) max = Math.max(max, X[x0 + c]!);
      let sum = 0;
      for (let c = 0; c < cols; c++) sum += Math.exp(X[x0 + c]! - max);
      const lse = max + Math.log(sum);
      for (let c = 0; c < cols; c++) O[x0 + c] = log ? X[x0 + c]! - lse : Math.exp(X[x0 + c]! - lse);
    }
  },
  // softmax: dx = y (dy - sum(dy y));  log-softmax: dx = dy - exp(y) sum(dy)
  softmaxBackward(y, dy, dx, rows, cols, log, accumulate) {
    const Y = host(y);
    const DY = host(dy);
    const DX = host(dx);
    for (let r = 0; r < rows; r++) {
      const x0 = r * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += log ? DY[x0 + c]! : DY[x0 + c]! * Y[x0 + c]!;
      for (let c = 0; c < cols; c++) {
        const g = log ? DY[x0 + c]! - Math.exp(Y[x0 + c]!) * s : Y[x0 + c]! * (DY[x0 + c]! - s);
        store(DX, x0 + c, g, accumulate);
      }
    }
  },

  // table (vocab, dim), ids (n) -> out (n, dim)
  embedding(table, ids, out, dim) {
    const T = host(table);
    const O = host(out);
    for (let i = 0; i < ids.length; i++) O.set(T.subarray(ids[i]! * dim, ids[i]! * dim + dim), i * dim);
  },
  embeddingBackward(dy, ids, dTable, dim) {
    const DY = host(dy);
    const DT = host(dTable);
    for (let i = 0; i < ids.length; i++) {
      for (let j = 0; j < dim; j++) DT[ids[i]! * dim + j] = DT[ids[i]! * dim + j]! + DY[i * dim + j]!;
    }
  },
  // x (batch, heads, t, headDim): (x_i, x_{i+half}) rotated by angle position * invFreq[i]
  rope(x, out, p: RopeParams, inverse) {
    const X = host(x);
    const O = host(out);
    const { batch, heads, t, headDim, startPosition, invFreq, positions } = p;
    const half = headDim / 2;
    const sign = inverse ? -1 : 1;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        for (let ti = 0; ti < t; ti++) {
          const pos = positions === undefined ? startPosition + ti : positions[b * t + ti]!;
          const x0 = ((b * heads + h) * t + ti) * headDim;
          for (let i = 0; i < half; i++) {
            const angle = pos * invFreq[i]!;
            const cos = Math.cos(angle);
            const sin = sign * Math.sin(angle);
            const x1 = X[x0 + i]!;
            const x2 = X[x0 + i + half]!;
            O[x0 + i] = x1 * cos - x2 * sin;
            O[x0 + i + half] = x2 * cos + x1 * sin;
          }
        }
      }
    }
  },

  // q (batch, heads, tq, headDim), k/v (batch, kvHeads, tk, headDim) -> out like q, lse (batch, heads, tq)
  attention(q, k, v, out, lse, p: AttentionParams) {
    const Q = host(q);
    const K = host(k);
    const V = host(v);
    const O = host(out);
    const L = host(lse);
    const { batch, heads, kvHeads, tq, tk, headDim: d, pastLength, causal, scale } = p;
    const kvHeadStride = p.kvHeadStride ?? tk * d;
    const group = heads / kvHeads;
    const scores = new Float64Array(tk);
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const kv0 = (b * kvHeads + Math.floor(h / group)) * kvHeadStride;
        for (let i = 0; i < tq; i++) {
          const q0 = ((b * heads + h) * tq + i) * d;
          const visible = causal ? pastLength + i + 1 : tk;
          let max = -Infinity;
          for (let j = 0; j < visible; j++) {
            let s = 0;
            for (let c = 0; c < d; c++) s += Q[q0 + c]! * K[kv0 + j * d + c]!;
            scores[j] = s * scale;
            max = Math.max(max, scores[j]!);
          }
          let sum = 0;
          for (let j = 0; j < visible; j++) sum += Math.exp(scores[j]! - max);
          const rowLse = max + Math.log(sum);
          L[(b * heads + h) * tq + i] = rowLse;
          for (let c = 0; c < d; c++) {
            let acc = 0;
            for (let j = 0; j < visible; j++) acc += Math.exp(scores[j]! - rowLse) * V[kv0 + j * d + c]!;
            O[q0 + c] = acc;
          }
        }
      }
    }
  },
  // p_ij = exp(s_ij - lse_i);  dv_j += p_ij dO_i;  ds_ij = p_ij (dO_i . v_j - dO_i . O_i);
  // dq_i += scale ds_ij k_j;  dk_j += scale ds_ij q_i
  attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p: AttentionParams) {
    const Q = host(q);
    const K = host(k);
    const V = host(v);
    const O = host(out);
    const L = host(lse);
    const DO = host(dOut);
    const DQ = host(dq);
    const DK = host(dk);
    const DV = host(dv);
    const { batch, heads, kvHeads, tq, tk, headDim: d, pastLength, causal, scale } = p;
    const kvHeadStride = p.kvHeadStride ?? tk * d;
    const group = heads / kvHeads;
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const kv0 = (b * kvHeads + Math.floor(h / group)) * kvHeadStride;
        for (let i = 0; i < tq; i++) {
          const q0 = ((b * heads + h) * tq + i) * d;
          const rowLse = L[(b * heads + h) * tq + i]!;
          const visible = causal ? pastLength + i + 1 : tk;
          let dOdotO = 0;
          for (let c = 0; c < d; c++) dOdotO += DO[q0 + c]! * O[q0 + c]!;
          for (let j = 0; j < visible; j++) {
            let s = 0;
            let dp = 0;
            for (let c = 0; c < d; c++) {
              s += Q[q0 + c]! * K[kv0 + j * d + c]!;
              dp += DO[q0 + c]! * V[kv0 + j * d + c]!;
            }
            const prob = Math.exp(s * scale - rowLse);
            const ds = prob * (dp - dOdotO) * scale;
            for (let c = 0; c < d; c++) {
              DV[kv0 + j * d + c] = DV[kv0 + j * d + c]! + prob * DO[q0 + c]!;
              DQ[q0 + c] = DQ[q0 + c]! + ds * K[kv0 + j * d + c]!;
              DK[kv0 + j * d + c] = DK[kv0 + j * d + c]! + ds * Q[q0 + c]!;
            }
          }
        }
      }
    }
  },

  // hidden (rows, dim), weight (vocab, dim), targets (rows) -> summed loss; lse (rows)
  linearCrossEntropy(hidden, weight, targets, lse, p: LinearCrossEntropyParams) {
    const bf16 = p.precision === 'bf16';
    const H = bf16 ? bf16Rounded(host(hidden)) : host(hidden);
    const W = bf16 ? bf16Rounded(host(weight)) : host(weight);
    const L = host(lse);
    const R = p.rowLosses === undefined ? null : host(p.rowLosses);
    const { rows, dim, vocab, ignoreIndex, rowWeights } = p;
    const { start, end, forTarget, share } = smoothingOf(p);
    let loss = 0;
    let weightTotal = 0;
    const logits = new Float64Array(vocab);
    for (let r = 0; r < rows; r++) {
      const w = rowWeights === undefined ? 1 : rowWeights[r]!;
      const target = targets[r]!;
      if (target === ignoreIndex || w === 0) {
        L[r] = 0;
        if (R !== null) R[r] = 0;
        continue;
      }
      let max = -Infinity;
      for (let v = 0; v < vocab; v++) {
        let s = 0;
        for (let c = 0; c < dim; c++) s += H[r * dim + c]! * W[v * dim + c]!;
        logits[v] = s;
        max = Math.max(max, s);
      }
      let sum = 0;
      let classMean = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(logits[v]! - max);
      for (let v = start; v < end; v++) classMean += share(r, v) * logits[v]!;
      const rowLse = max + Math.log(sum);
      L[r] = rowLse;
      const smoothing = forTarget(target);
      const rowLoss = rowLse - (1 - smoothing) * logits[target]! - smoothing * classMean;
      if (R !== null) R[r] = rowLoss;
      loss += w * rowLoss;
      weightTotal += w;
    }
    return { loss, weightTotal };
  },
  // dlogits_rv = scale w_r s_r (softmax_rv - (1 - e) [v = target_r] - e [v in S] q_rv);  dHidden_r += dlogits_r W;  dWeight_v += dlogits_.v hidden
  // bf16: hidden, weight and each logit gradient rounded to bf16, as the native GEMMs round their operands.
  linearCrossEntropyBackward(hidden, weight, targets, lse, scale, dHidden, dWeight, p: LinearCrossEntropyParams) {
    const bf16 = p.precision === 'bf16';
    const H = bf16 ? bf16Rounded(host(hidden)) : host(hidden);
    const W = bf16 ? bf16Rounded(host(weight)) : host(weight);
    const L = host(lse);
    const DH = dHidden === null ? null : host(dHidden);
    const DW = dWeight === null ? null : host(dWeight);
    const S = p.rowScales === undefined ? null : host(p.rowScales);
    const { rows, dim, vocab, ignoreIndex, rowWeights } = p;
    const { start, end, forTarget, share } = smoothingOf(p);
    for (let r = 0; r < rows; r++) {
      const w = (rowWeights === undefined ? 1 : rowWeights[r]!) * (S === null ? 1 : S[r]!);
      const target = targets[r]!;
      if (target === ignoreIndex || (rowWeights !== undefined && rowWeights[r] === 0)) continue;
      const smoothing = forTarget(target);
      for (let v = 0; v < vocab; v++) {
        let s = 0;
        for (let c = 0; c < dim; c++) s += H[r * dim + c]! * W[v * dim + c]!;
        const exact = scale * w * (Math.exp(s - L[r]!) - (v === target ? 1 - smoothing : 0) - (v >= start && v < end ? smoothing * share(r, v) : 0));
        const g = bf16 ? roundToBf16(exact) : exact;
        for (let c = 0; c < dim; c++) {
          if (DH !== null) DH[r * dim + c] = DH[r * dim + c]! + g * W[v * dim + c]!;
          if (DW !== null) DW[v * dim + c] = DW[v * dim + c]! + g * H[r * dim + c]!;
        }
      }
    }
  },

  // m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m^ / (sqrt(v^) + eps) + wd p)
  adamw(param, grad, m, v, size, p: AdamWParams) {
    const P = host(param);
    const G = host(grad);
    const M = host(m);
    const Vs = host(v);
    const { lr, beta1, beta2, eps, weightDecay, step } = p;
    const c1 = 1 - beta1 ** step;
    const c2 = 1 - beta2 ** step;
    for (let i = 0; i < size; i++) {
      M[i] = beta1 * M[i]! + (1 - beta1) * G[i]!;
      Vs[i] = beta2 * Vs[i]! + (1 - beta2) * G[i]! * G[i]!;
      const mHat = M[i]! / c1;
      const vHat = Vs[i]! / c2;
      P[i] = P[i]! - lr * (mHat / (Math.sqrt(vHat) + eps) + weightDecay * P[i]!);
    }
  },
};
