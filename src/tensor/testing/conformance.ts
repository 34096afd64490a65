/**
 * Backend conformance: runs every kernel of the `Backend` interface on a candidate backend and on the reference
 * backend with identical random inputs, and reports the largest disagreement per case.
 *
 * Error measure: for every output element, |candidate - ref| / max(1, |ref|) (absolute error for values of
 * magnitude up to 1, relative above), maximised over all outputs of the case. Outputs that start with random
 * content check that `accumulate` adds to it and that non-accumulating kernels overwrite it.
 *
 * Tolerances (float32 kernels against the float64-accumulating reference):
 * - 1e-5 for data movement, elementwise ops and the optimizer step (one or two roundings per element);
 * - 1e-4 for reductions, normalisations, softmax, rope and matmul (sums of up to a few hundred products);
 * - 2e-4 for attention and the fused linear cross-entropy, whose gradients chain several such sums.
 */
import type { Backend, BinaryOp, MatmulParams, Storage, UnaryOp } from '../backend.js';
import { refBackend } from '../backends/ref.js';
import { Rng } from '../random.js';
import { QUANT_BLOCK, QUANTIZE_TYPES, quantize, type QuantizeType } from '../quant.js';

export const CONFORMANCE_TOLERANCE = { exact: 1e-5, reduction: 1e-4, fused: 2e-4 } as const;

export interface ConformanceResult {
  /** The kernel under test, e.g. `matmul`. */
  readonly kernel: string;
  /** Which configuration of it, e.g. `transA transB batch=2`. */
  readonly label: string;
  readonly maxError: number;
  readonly tolerance: number;
  readonly ok: boolean;
}

type Outputs = Record<string, Float32Array | number>;

interface KernelCase {
  readonly kernel: string;
  readonly label: string;
  readonly tolerance: number;
  /** Runs the kernel on backend `b`, drawing every input from `rng` (seeded identically for both backends). */
  run(b: Backend, rng: Rng): Outputs;
}

function randomArray(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

function randomIds(rng: Rng, n: number, vocab: number): Int32Array {
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) ids[i] = rng.int(vocab);
  return ids;
}

/** Copies a result off the backend so later kernels cannot change it. */
function take(b: Backend, s: Storage): Float32Array {
  return new Float32Array(b.download(s));
}

const UNARY_OPS: readonly UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'rsqrt', 'square', 'silu', 'gelu', 'relu', 'tanh', 'sigmoid'];
const POSITIVE_DOMAIN: ReadonlySet<UnaryOp> = new Set(['log', 'sqrt', 'rsqrt']);
const BINARY_OPS: readonly BinaryOp[] = ['add', 'sub', 'mul', 'div'];

function unaryInput(rng: Rng, op: UnaryOp, n: number): Float32Array {
  return POSITIVE_DOMAIN.has(op) ? randomArray(rng, n, 0.2, 3) : randomArray(rng, n, -3, 3);
}

function matmulCase(label: string, p: MatmulParams): KernelCase {
  return {
    kernel: 'matmul',
    label,
    tolerance: CONFORMANCE_TOLERANCE.reduction,
    run(b, rng) {
      const strideA = p.strideA ?? p.m * p.k;
      const strideB = p.strideB ?? p.k * p.n;
      const aLen = strideA === 0 ? p.m * p.k : strideA * p.batch;
      const bLen = strideB === 0 ? p.k * p.n : strideB * p.batch;
      const a = b.upload(randomArray(rng, aLen));
      const bm = b.upload(randomArray(rng, bLen));
      const out = b.upload(randomArray(rng, p.batch * p.m * p.n));
      b.matmul(a, bm, out, p);
      return { out: take(b, out) };
    },
  };
}

/**
 * (m, k) activations that Q8_0 represents exactly: every block of 32 (the last one possibly short) holds integers in
 * -127..127 times a power of two, one of them +-127, so its scale is that power of two and nothing is rounded. The
 * int8 paths then compute the exact products with the quantized weight, and only fp32 summation error remains.
 */
function q8Representable(rng: Rng, m: number, k: number): Float32Array {
  const x = new Float32Array(m * k);
  for (let i = 0; i < m; i++) {
    for (let b0 = 0; b0 < k; b0 += QUANT_BLOCK) {
      const width = Math.min(QUANT_BLOCK, k - b0);
      const scale = 2 ** (rng.int(12) - 8);
      for (let j = 0; j < width; j++) x[i * k + b0 + j] = (rng.int(255) - 127) * scale;
      x[i * k + b0 + rng.int(width)] = (rng.uniform() < 0.5 ? -127 : 127) * scale;
    }
  }
  return x;
}

function quantizedMatmulCase(type: QuantizeType, m: number, n: number, k: number, accumulate: boolean): KernelCase {
  return {
    kernel: 'quantizedMatmul',
    label: `${type} (${m}x${k})@(${n}x${k})^T${accumulate ? ' accumulate' : ''}`,
    tolerance: CONFORMANCE_TOLERANCE.reduction,
    run(b, rng) {
      const w = quantize(type, randomArray(rng, n * k), n, k);
      const x = b.upload(q8Representable(rng, m, k));
      const out = b.upload(randomArray(rng, m * n));
      b.quantizedMatmul(x, w.data, out, { m, n, k, type, accumulate });
      return { out: take(b, out) };
    },
  };
}

function buildCases(): KernelCase[] {
  const cases: KernelCase[] = [];
  const { exact, reduction, fused } = CONFORMANCE_TOLERANCE;

  cases.push({
    kernel: 'memory',
    label: 'upload, fill, copy, copyStrided',
    tolerance: exact,
    run(b, rng) {
      const src = b.upload(randomArray(rng, 2 * 3 * 5));
      const filled = b.alloc(17);
      b.fill(filled, 0.25);
      b.fill(filled, -2, 3, 5);
      const copied = b.upload(randomArray(rng, 20));
      b.copy(src, 4, copied, 7, 9);
      const permuted = b.alloc(30);
      // (2,3,5) -> (5,2,3): the permute (2,0,1).
      b.copyStrided(src, 0, [5, 2, 3], [1, 15, 5], permuted);
      const sliced = b.alloc(2 * 2 * 3);
      b.copyStrided(src, 1, [2, 2, 3], [15, 5, 1], sliced);
      return { src: take(b, src), filled: take(b, filled), copied: take(b, copied), permuted: take(b, permuted), sliced: take(b, sliced) };
    },
  });

  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const flags = `${transA ? 'transA' : 'A'} ${transB ? 'transB' : 'B'}`;
      cases.push(matmulCase(`${flags} batch=3 (5x6)@(6x7)`, { batch: 3, m: 5, n: 7, k: 6, transA, transB }));
      cases.push(matmulCase(`${flags} (33x47)@(47x65) alpha=0.5 accumulate`, {
        batch: 1, m: 33, n: 65, k: 47, transA, transB, alpha: 0.5, accumulate: true,
      }));
      // Deeper than one packed depth block (512) and wider than one register tile, with ragged edges everywhere.
      cases.push(matmulCase(`${flags} (13x600)@(600x70)`, { batch: 1, m: 13, n: 70, k: 600, transA, transB }));
    }
  }
  // bf16 precision against the exact bf16-rounded reference: the same rounded products, summed in fp32 vs float64.
  for (const transB of [false, true]) {
    cases.push(matmulCase(`bf16 ${transB ? 'transB' : 'B'} (33x47)@(47x65) alpha=0.5 accumulate`, {
      batch: 1, m: 33, n: 65, k: 47, transA: false, transB, alpha: 0.5, accumulate: true, precision: 'bf16',
    }));
    cases.push(matmulCase(`bf16 transA ${transB ? 'transB' : 'B'} batch=2 (13x601)@(601x70)`, {
      batch: 2, m: 13, n: 70, k: 601, transA: true, transB, precision: 'bf16',
    }));
  }
  cases.push(matmulCase('B broadcast (strideB=0) transB', { batch: 4, m: 3, n: 9, k: 8, transA: false, transB: true, strideB: 0 }));
  for (const type of QUANTIZE_TYPES) {
    cases.push(quantizedMatmulCase(type, 1, 37, 96, false));
    cases.push(quantizedMatmulCase(type, 7, 33, 75, true));
    cases.push(quantizedMatmulCase(type, 70, 5, 131, false));
  }
  cases.push(matmulCase('A broadcast (strideA=0)', { batch: 4, m: 6, n: 5, k: 7, transA: false, transB: false, strideA: 0 }));

  for (const op of BINARY_OPS) {
    for (const [size, bSize] of [[67, 67], [6 * 13, 13], [29, 1]] as const) {
      cases.push({
        kernel: 'binary',
        label: `${op} size=${size} bSize=${bSize}`,
        tolerance: exact,
        run(b, rng) {
          const a = b.upload(randomArray(rng, size));
          const bv = b.upload(op === 'div' ? randomArray(rng, bSize, 0.5, 2) : randomArray(rng, bSize));
          const out = b.upload(randomArray(rng, size));
          b.binary(op, a, bv, out, size, bSize);
          return { out: take(b, out) };
        },
      });
    }
  }

  for (const op of UNARY_OPS) {
    cases.push({
      kernel: 'unary',
      label: op,
      tolerance: exact,
      run(b, rng) {
        const x = b.upload(unaryInput(rng, op, 67));
        const out = b.upload(randomArray(rng, 67));
        b.unary(op, x, out, 67);
        return { out: take(b, out) };
      },
    });
    for (const accumulate of [false, true]) {
      cases.push({
        kernel: 'unaryBackward',
        label: `${op}${accumulate ? ' accumulate' : ''}`,
        tolerance: exact,
        run(b, rng) {
          const x = b.upload(unaryInput(rng, op, 67));
          const dy = b.upload(randomArray(rng, 67));
          const dx = b.upload(randomArray(rng, 67));
          b.unaryBackward(op, x, dy, dx, 67, accumulate);
          return { dx: take(b, dx) };
        },
      });
    }
  }

  cases.push({
    kernel: 'axpby',
    label: 'beta=0 ignores NaN in out; beta=0.5',
    tolerance: exact,
    run(b, rng) {
      const x = b.upload(randomArray(rng, 41));
      const nanOut = b.upload(new Float32Array(41).fill(Number.NaN));
      b.axpby(2, x, 0, nanOut, 41);
      const out = b.upload(randomArray(rng, 41));
      b.axpby(-1.5, x, 0.5, out, 41);
      return { nanOut: take(b, nanOut), out: take(b, out) };
    },
  });

  for (const accumulate of [false, true]) {
    const suffix = accumulate ? ' accumulate' : '';
    cases.push({
      kernel: 'sumOuter',
      label: `(37, 11)${suffix}`,
      tolerance: reduction,
      run(b, rng) {
        const x = b.upload(randomArray(rng, 37 * 11));
        const out = b.upload(randomArray(rng, 11));
        b.sumOuter(x, out, 37, 11, accumulate);
        return { out: take(b, out) };
      },
    });
    cases.push({
      kernel: 'sumRows',
      label: `(11, 37)${suffix}`,
      tolerance: reduction,
      run(b, rng) {
        const x = b.upload(randomArray(rng, 11 * 37));
        const out = b.upload(randomArray(rng, 11));
        b.sumRows(x, out, 11, 37, accumulate);
        return { out: take(b, out) };
      },
    });
  }
  cases.push({
    kernel: 'sumSquares',
    label: '1000 elements',
    tolerance: reduction,
    run(b, rng) {
      return { sumSquares: b.sumSquares(b.upload(randomArray(rng, 1000)), 1000) };
    },
  });

  cases.push({
    kernel: 'swiglu',
    label: '67 elements',
    tolerance: exact,
    run(b, rng) {
      const gate = b.upload(randomArray(rng, 67, -3, 3));
      const up = b.upload(randomArray(rng, 67));
      const out = b.upload(randomArray(rng, 67));
      b.swiglu(gate, up, out, 67);
      return { out: take(b, out) };
    },
  });
  for (const accumulate of [false, true]) {
    cases.push({
      kernel: 'swigluBackward',
      label: accumulate ? 'accumulate' : 'overwrite',
      tolerance: exact,
      run(b, rng) {
        const gate = b.upload(randomArray(rng, 67, -3, 3));
        const up = b.upload(randomArray(rng, 67));
        const dy = b.upload(randomArray(rng, 67));
        const dGate = b.upload(randomArray(rng, 67));
        const dUp = b.upload(randomArray(rng, 67));
        b.swigluBackward(gate, up, dy, dGate, dUp, 67, accumulate);
        return { dGate: take(b, dGate), dUp: take(b, dUp) };
      },
    });
  }

  const rows = 7;
  const dim = 37;
  cases.push({
    kernel: 'rmsnorm',
    label: `(${rows}, ${dim}) forward and backward`,
    tolerance: reduction,
    run(b, rng) {
      const x = b.upload(randomArray(rng, rows * dim, -2, 2));
      const w = b.upload(randomArray(rng, dim, 0.5, 1.5));
      const out = b.alloc(rows * dim);
      const rstd = b.alloc(rows);
      b.rmsnorm(x, w, out, rstd, rows, dim, 1e-5);
      const dy = b.upload(randomArray(rng, rows * dim));
      const dx = b.upload(randomArray(rng, rows * dim));
      const dw = b.upload(randomArray(rng, dim));
      b.rmsnormBackward(x, w, rstd, dy, dx, dw, rows, dim, true);
      const dxOnly = b.upload(randomArray(rng, rows * dim));
      b.rmsnormBackward(x, w, rstd, dy, dxOnly, null, rows, dim, false);
      return { out: take(b, out), rstd: take(b, rstd), dx: take(b, dx), dw: take(b, dw), dxOnly: take(b, dxOnly) };
    },
  });
  for (const withBias of [false, true]) {
    cases.push({
      kernel: 'layernorm',
      label: `(${rows}, ${dim}) ${withBias ? 'with' : 'without'} bias, forward and backward`,
      tolerance: reduction,
      run(b, rng) {
        const x = b.upload(randomArray(rng, rows * dim, -2, 3));
        const w = b.upload(randomArray(rng, dim, 0.5, 1.5));
        const bias = withBias ? b.upload(randomArray(rng, dim)) : null;
        const out = b.alloc(rows * dim);
        const mean = b.alloc(rows);
        const rstd = b.alloc(rows);
        b.layernorm(x, w, bias, out, mean, rstd, rows, dim, 1e-5);
        const dy = b.upload(randomArray(rng, rows * dim));
        const dx = b.upload(randomArray(rng, rows * dim));
        const dw = b.upload(randomArray(rng, dim));
        const db = withBias ? b.upload(randomArray(rng, dim)) : null;
        b.layernormBackward(x, w, mean, rstd, dy, dx, dw, db, rows, dim, withBias);
        const result: Outputs = { out: take(b, out), mean: take(b, mean), rstd: take(b, rstd), dx: take(b, dx), dw: take(b, dw) };
        if (db !== null) result['db'] = take(b, db);
        return result;
      },
    });
  }

  for (const log of [false, true]) {
    cases.push({
      kernel: 'softmax',
      label: `${log ? 'log-softmax' : 'softmax'} (9, 53) forward and backward`,
      tolerance: reduction,
      run(b, rng) {
        const x = b.upload(randomArray(rng, 9 * 53, -5, 5));
        const y = b.alloc(9 * 53);
        b.softmax(x, y, 9, 53, log);
        const dy = b.upload(randomArray(rng, 9 * 53));
        const dx = b.upload(randomArray(rng, 9 * 53));
        b.softmaxBackward(y, dy, dx, 9, 53, log, false);
        const dxAcc = b.upload(randomArray(rng, 9 * 53));
        b.softmaxBackward(y, dy, dxAcc, 9, 53, log, true);
        return { y: take(b, y), dx: take(b, dx), dxAcc: take(b, dxAcc) };
      },
    });
  }

  cases.push({
    kernel: 'embedding',
    label: 'gather and scatter-add with repeated ids',
    tolerance: exact,
    run(b, rng) {
      const table = b.upload(randomArray(rng, 11 * 19));
      const ids = Int32Array.from([3, 0, 10, 3, 3, 7]);
      const out = b.alloc(6 * 19);
      b.embedding(table, ids, out, 19);
      const dy = b.upload(randomArray(rng, 6 * 19));
      const dTable = b.upload(randomArray(rng, 11 * 19));
      b.embeddingBackward(dy, ids, dTable, 19);
      return { out: take(b, out), dTable: take(b, dTable) };
    },
  });

  const invFreq = new Float32Array(8);
  for (let i = 0; i < 8; i++) invFreq[i] = 10000 ** (-i / 8);
  cases.push({
    kernel: 'rope',
    label: 'forward, inverse, in place and explicit positions',
    tolerance: reduction,
    run(b, rng) {
      const p = { batch: 2, heads: 3, t: 5, headDim: 16, startPosition: 7, invFreq };
      const n = 2 * 3 * 5 * 16;
      const x = b.upload(randomArray(rng, n));
      const out = b.alloc(n);
      b.rope(x, out, p, false);
      const back = b.alloc(n);
      b.rope(out, back, p, true);
      const positions = randomIds(rng, 2 * 5, 300);
      const inPlace = b.upload(randomArray(rng, n));
      b.rope(inPlace, inPlace, { ...p, positions }, false);
      return { out: take(b, out), back: take(b, back), inPlace: take(b, inPlace) };
    },
  });

  const attentionConfigs = [
    { label: 'causal, grouped KV (4 heads, 2 kv heads)', heads: 4, kvHeads: 2, tq: 6, pastLength: 0, capacity: 6, causal: true },
    { label: 'not causal, multi-head', heads: 2, kvHeads: 2, tq: 5, pastLength: 0, capacity: 5, causal: false },
    { label: 'causal with KV cache (past 4, capacity 12)', heads: 4, kvHeads: 1, tq: 3, pastLength: 4, capacity: 12, causal: true },
  ];
  for (const c of attentionConfigs) {
    cases.push({
      kernel: 'attention',
      label: `${c.label}, forward and backward`,
      tolerance: fused,
      run(b, rng) {
        const batch = 2;
        const d = 8;
        const tk = c.pastLength + c.tq;
        const p = {
          batch, heads: c.heads, kvHeads: c.kvHeads, tq: c.tq, tk, headDim: d, pastLength: c.pastLength, causal: c.causal,
          scale: 1 / Math.sqrt(d), kvHeadStride: c.capacity * d,
        };
        const qLen = batch * c.heads * c.tq * d;
        const kvLen = batch * c.kvHeads * c.capacity * d;
        const q = b.upload(randomArray(rng, qLen, -2, 2));
        const k = b.upload(randomArray(rng, kvLen, -2, 2));
        const v = b.upload(randomArray(rng, kvLen));
        const out = b.alloc(qLen);
        const lse = b.alloc(batch * c.heads * c.tq);
        b.attention(q, k, v, out, lse, p);
        const dOut = b.upload(randomArray(rng, qLen));
        const dq = b.upload(randomArray(rng, qLen));
        const dk = b.upload(randomArray(rng, kvLen));
        const dv = b.upload(randomArray(rng, kvLen));
        b.attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p);
        return { out: take(b, out), lse: take(b, lse), dq: take(b, dq), dk: take(b, dk), dv: take(b, dv) };
      },
    });
  }

  /** The fused LM-head cases' inputs: 9 rows of width 24 over a 101-token vocabulary, row `ignoredRow` unlabelled. */
  const lmHeadInputs = (b: Backend, rng: Rng, ignoredRow: number) => {
    const rowsLce = 9;
    const dimLce = 24;
    const vocab = 101;
    const targets = randomIds(rng, rowsLce, vocab);
    targets[ignoredRow] = -100;
    const hidden = b.upload(randomArray(rng, rowsLce * dimLce, -2, 2));
    const weight = b.upload(randomArray(rng, vocab * dimLce, -1, 1));
    return { rowsLce, dimLce, vocab, targets, hidden, weight, lse: b.alloc(rowsLce) };
  };

  for (const withWeights of [false, true]) {
    cases.push({
      kernel: 'linearCrossEntropy',
      label: `rows 9, dim 24, vocab 101, chunk 16, ignoreIndex${withWeights ? ', row weights' : ''}, forward and backward`,
      tolerance: fused,
      run(b, rng) {
        const { rowsLce, dimLce, vocab, targets, hidden, weight, lse } = lmHeadInputs(b, rng, 2);
        const rowWeights = withWeights ? randomArray(rng, rowsLce, 0, 2) : undefined;
        if (rowWeights !== undefined) rowWeights[5] = 0;
        const p = { rows: rowsLce, dim: dimLce, vocab, ignoreIndex: -100, chunk: 16, ...(rowWeights === undefined ? {} : { rowWeights }) };
        const { loss, weightTotal } = b.linearCrossEntropy(hidden, weight, targets, lse, p);
        const dHidden = b.upload(randomArray(rng, rowsLce * dimLce));
        const dWeight = b.upload(randomArray(rng, vocab * dimLce));
        b.linearCrossEntropyBackward(hidden, weight, targets, lse, 1 / weightTotal, dHidden, dWeight, p);
        const dHiddenOnly = b.upload(randomArray(rng, rowsLce * dimLce));
        b.linearCrossEntropyBackward(hidden, weight, targets, lse, 0.5, dHiddenOnly, null, p);
        return {
          loss, weightTotal, lse: take(b, lse), dHidden: take(b, dHidden), dWeight: take(b, dWeight), dHiddenOnly: take(b, dHiddenOnly),
        };
      },
    });
  }

  // bf16 GEMMs inside the fused head, with the logits recomputed in the backward and kept from the forward.
  for (const kept of [false, true]) {
    cases.push({
      kernel: 'linearCrossEntropy',
      label: `bf16, rows 9, dim 24, vocab 101, chunk 16, ${kept ? 'kept logits' : 'recomputed logits'}, forward and backward`,
      tolerance: fused,
      run(b, rng) {
        const { rowsLce, dimLce, vocab, targets, hidden, weight, lse } = lmHeadInputs(b, rng, 3);
        const p = { rows: rowsLce, dim: dimLce, vocab, ignoreIndex: -100, chunk: 16, precision: 'bf16', ...(kept ? { keptLogits: b.alloc(rowsLce * vocab) } : {}) } as const;
        const { loss, weightTotal } = b.linearCrossEntropy(hidden, weight, targets, lse, p);
        const dHidden = b.upload(randomArray(rng, rowsLce * dimLce));
        const dWeight = b.upload(randomArray(rng, vocab * dimLce));
        b.linearCrossEntropyBackward(hidden, weight, targets, lse, 1 / weightTotal, dHidden, dWeight, p);
        return { loss, weightTotal, lse: take(b, lse), dHidden: take(b, dHidden), dWeight: take(b, dWeight) };
      },
    });
  }

  cases.push({
    kernel: 'linearCrossEntropy',
    label: 'rows 9, dim 24, vocab 101, chunk 16, per-row losses out and per-row upstream gradients in',
    tolerance: fused,
    run(b, rng) {
      const { rowsLce, dimLce, vocab, targets, hidden, weight, lse } = lmHeadInputs(b, rng, 4);
      // Poisoned, so a row the kernel forgets to write (the ignored one) shows.
      const rowLosses = b.upload(new Float32Array(rowsLce).fill(Number.NaN));
      const p = { rows: rowsLce, dim: dimLce, vocab, ignoreIndex: -100, chunk: 16 };
      const { loss } = b.linearCrossEntropy(hidden, weight, targets, lse, { ...p, rowLosses });
      const rowScales = b.upload(randomArray(rng, rowsLce, -2, 2));
      const dHidden = b.upload(randomArray(rng, rowsLce * dimLce));
      const dWeight = b.upload(randomArray(rng, vocab * dimLce));
      b.linearCrossEntropyBackward(hidden, weight, targets, lse, -1, dHidden, dWeight, { ...p, rowScales });
      return { loss, rowLosses: take(b, rowLosses), dHidden: take(b, dHidden), dWeight: take(b, dWeight) };
    },
  });

  cases.push({
    kernel: 'adamw',
    label: '3 steps, weight decay 0.1',
    tolerance: exact,
    run(b, rng) {
      const n = 53;
      const param = b.upload(randomArray(rng, n));
      const m = b.alloc(n);
      const v = b.alloc(n);
      b.fill(m, 0);
      b.fill(v, 0);
      for (let step = 1; step <= 3; step++) {
        const grad = b.upload(randomArray(rng, n));
        b.adamw(param, grad, m, v, n, { lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step });
      }
      return { param: take(b, param), m: take(b, m), v: take(b, v) };
    },
  });

  return cases;
}

function maxError(candidate: Float32Array | number, reference: Float32Array | number, name: string): number {
  const c = typeof candidate === 'number' ? [candidate] : candidate;
  const r = typeof reference === 'number' ? [reference] : reference;
  if (c.length !== r.length) throw new Error(`conformance: output ${name} has ${c.length} elements, reference has ${r.length}`);
  let worst = 0;
  for (let i = 0; i < r.length; i++) {
    const err = Math.abs(c[i]! - r[i]!) / Math.max(1, Math.abs(r[i]!));
    // NaN (a kernel that produced garbage) must fail, and NaN never compares greater.
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

/** Compares every kernel of `backend` with the reference backend; one result per kernel configuration. */
export function checkConformance(backend: Backend, seed = 1234): ConformanceResult[] {
  return buildCases().map((c) => {
    const expected = c.run(refBackend, new Rng(seed));
    const actual = c.run(backend, new Rng(seed));
    let worst = 0;
    for (const [name, ref] of Object.entries(expected)) {
      const got = actual[name];
      if (got === undefined) throw new Error(`conformance: ${c.kernel} (${c.label}) produced no output ${name}`);
      worst = Math.max(worst, maxError(got, ref, `${c.kernel}.${name}`));
    }
    return { kernel: c.kernel, label: c.label, maxError: worst, tolerance: c.tolerance, ok: worst <= c.tolerance };
  });
}

/** Throws an error listing every kernel configuration outside its tolerance; returns the results otherwise. */
export function assertConformance(backend: Backend, seed = 1234): ConformanceResult[] {
  const results = checkConformance(backend, seed);
  const failures = results.filter((r) => !r.ok);
  if (failures.length > 0) {
    const lines = failures.map((f) => `  ${f.kernel} (${f.label}): max error ${f.maxError.toExponential(2)} > ${f.tolerance}`);
    throw new Error(`backend ${backend.name} disagrees with ref on ${failures.length} kernel case(s):\n${lines.join('\n')}`);
  }
  return results;
}
