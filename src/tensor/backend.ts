/**
 * The kernel interface every compute backend implements.
 *
 * In the spirit of TensorFlow.js: ops (src/tensor/ops) are small functions that dispatch to named kernels here;
 * autograd lives in the ops, never in a backend. `ref` (pure TypeScript) is the oracle, `cpu` (native C++ via
 * N-API) is the fast one, and a GPU backend later implements the same methods over device memory.
 *
 * Conventions (shared by every kernel):
 * - All tensors are float32, row-major and contiguous. Shapes are passed as explicit sizes, never inferred.
 * - `Storage` is opaque to callers. Host backends use `Float32Array`; a device backend would use a handle.
 *   Callers move data with `upload` / `download` / `alloc` only.
 * - Kernels write into a caller-provided output and allocate nothing persistent; `accumulate: true` means
 *   `out += result` (used to sum gradients), otherwise `out = result`.
 * - Every kernel is deterministic for the same inputs and thread count.
 */
export interface Storage {
  readonly length: number;
}

/** C[b] = alpha * op(A[b]) @ op(B[b]) (+ C[b] if accumulate); op(A) is (m, k), op(B) is (k, n), C is (m, n). */
export interface MatmulParams {
  readonly batch: number;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** A is stored as (k, m) and used transposed. */
  readonly transA: boolean;
  /** B is stored as (n, k) and used transposed (the layout of a Linear weight). */
  readonly transB: boolean;
  /** Elements between consecutive batch matrices of A; 0 broadcasts one A over the batch. Default m*k. */
  readonly strideA?: number;
  /** Elements between consecutive batch matrices of B; 0 broadcasts one B over the batch. Default k*n. */
  readonly strideB?: number;
  readonly alpha?: number;
  readonly accumulate?: boolean;
  /** 'bf16': op(A) and op(B) are rounded to bfloat16 (round to nearest even) and their products summed in fp32,
   * as AMX / AVX-512 BF16 hardware does; the output stays fp32. Default 'fp32'. */
  readonly precision?: MatmulPrecision;
}

export type MatmulPrecision = 'fp32' | 'bf16';

/** out (m, n) = x (m, k) @ W^T (+ out if accumulate), W (n, k) a quantized matrix (src/tensor/quant.ts) given as its
 * block bytes, host memory read in place. */
export interface QuantizedMatmulParams {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly type: QuantType;
  readonly accumulate?: boolean;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';
export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'square' | 'silu' | 'gelu' | 'relu' | 'tanh' | 'sigmoid';

import type { QuantType } from './quant.js';

/**
 * Attention geometry. q is (batch, heads, tq, headDim); k and v are (batch, kvHeads, tk, headDim) where
 * tk = pastLength + tq when a KV cache is used (the cache holds the first pastLength positions).
 * Query position i (0-based within q) sits at absolute position pastLength + i and sees keys 0..pastLength+i
 * when causal. heads must be a multiple of kvHeads (grouped-query attention: head h reads kv head h / (heads/kvHeads)).
 */
export interface AttentionParams {
  readonly batch: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly tq: number;
  readonly tk: number;
  readonly headDim: number;
  readonly pastLength: number;
  readonly causal: boolean;
  readonly scale: number;
  /** Elements between consecutive kv heads of k and v (dk and dv use the same layout); default tk * headDim.
   * Positions within a head are always headDim apart and batches kvHeads * kvHeadStride apart, so a
   * preallocated KV cache of capacity C (tk <= C) is read in place with kvHeadStride = C * headDim. */
  readonly kvHeadStride?: number;
}

/** Rotary embedding over x of shape (batch, heads, t, headDim), rotating pairs (i, i + headDim/2) (the Hugging
 * Face "rotate_half" layout; llama2.c checkpoints are permuted into it on load). */
export interface RopeParams {
  readonly batch: number;
  readonly heads: number;
  readonly t: number;
  readonly headDim: number;
  /** Absolute position of the first of the t rows. */
  readonly startPosition: number;
  /** Inverse frequencies, length headDim / 2 (theta and Llama-3 scaling are folded in by the caller). */
  readonly invFreq: Float32Array;
  /** Optional per-row absolute positions (length batch * t) overriding startPosition (left-padded batches). */
  readonly positions?: Int32Array;
}

/**
 * Linear layer fused with cross-entropy, computed over vocabulary chunks so the (rows x vocab) logits never
 * exist in full. hidden is (rows, dim), weight is (vocab, dim) (a Linear/LM-head weight), targets has one class
 * per row. Rows whose target equals ignoreIndex, or whose weight is 0, carry no loss.
 */
export interface LinearCrossEntropyParams {
  readonly rows: number;
  readonly dim: number;
  readonly vocab: number;
  readonly ignoreIndex: number;
  /** Vocabulary columns computed at once; bounds the scratch memory to rows * chunk floats. */
  readonly chunk: number;
  /** Optional per-row loss weights (length rows). */
  readonly rowWeights?: Float32Array;
  /**
   * Optional rows * vocab scratch that lives from the forward to its backward: a backend may store the logits there
   * (in a layout of its own) and skip recomputing them in the backward. Results are the same with or without it.
   */
  readonly keptLogits?: Storage;
  /**
   * Label smoothing e in [0, 1): the target distribution puts 1 - e on the target and spreads e over the smoothing
   * classes S by a distribution q_r, so a row's loss is lse - (1 - e) logit_target - e sum_{v in S} q_rv logit_v.
   * Default 0.
   */
  readonly labelSmoothing?: number;
  /**
   * The smoothing classes S: columns start..end-1 (default the whole vocabulary). Only rows whose target lies in S
   * are smoothed, so smoothing among tool tokens leaves the rows that predict ordinary text alone.
   */
  readonly smoothingClasses?: ClassRange;
  /**
   * Each row's smoothing distribution q_r over S, rows * |S| (row-major, each smoothed row summing to 1); default
   * uniform, 1 / |S|. A teacher's probabilities here make the loss knowledge distillation.
   */
  readonly smoothingTargets?: Float32Array;
  /**
   * Optional forward output (rows): each row's loss before its row weight, 0 for rows that carry none. Per-token
   * log-probabilities (DPO, RL) are its negation, without a rows x vocab softmax.
   */
  readonly rowLosses?: Storage;
  /**
   * Optional backward input (rows): row r's gradient is scaled by rowScales[r] on top of scale * rowWeight, so the
   * upstream gradient of per-row losses (one per row, not one scalar) flows through the fused kernel.
   */
  readonly rowScales?: Storage;
  /**
   * 'bf16': the logits GEMM and the two backward GEMMs multiply bf16-rounded operands (hidden, weight and the logits'
   * gradient) with fp32 sums, as MatmulParams.precision; the log-sum-exp, softmax and loss stay fp32 (float64 sums).
   * Default 'fp32'.
   */
  readonly precision?: MatmulPrecision;
}

/** Class (vocabulary column) ids start..end-1. */
export interface ClassRange {
  readonly start: number;
  readonly end: number;
}

export interface AdamWParams {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** 1-based step number, for bias correction. */
  readonly step: number;
}

export interface Backend {
  readonly name: string;
  /** Threads the backend computes with (1 for ref). */
  readonly threads: number;

  // ---- memory ----
  /** New storage of length floats, all 0 (zeros() relies on this and does not fill again). */
  alloc(length: number): Storage;
  /** New storage of length floats with unspecified contents, for outputs the caller overwrites in full. */
  allocUninitialized(length: number): Storage;
  upload(data: Float32Array): Storage;
  /** Host view of the data. Host backends return the storage itself (writes are visible); others copy. */
  download(s: Storage): Float32Array;
  fill(out: Storage, value: number, offset?: number, length?: number): void;
  /** out[outOffset + i] = src[srcOffset + i] for i < length. */
  copy(src: Storage, srcOffset: number, out: Storage, outOffset: number, length: number): void;
  /** Generic strided gather: out (contiguous, shape `shape`) = src viewed with `strides` from `offset`. */
  copyStrided(src: Storage, offset: number, shape: readonly number[], strides: readonly number[], out: Storage): void;

  // ---- linear algebra ----
  matmul(a: Storage, b: Storage, out: Storage, p: MatmulParams): void;
  /**
   * The product with a quantized weight. `ref` computes it exactly with the dequantized weight (float64 sums). Native
   * backends run Q8_0 / Q4_0 / Q4_K as llama.cpp does, quantizing each row of x per block of 32 to int8 with one fp32 scale
   * d = max|x| / 127 (rounded to nearest even) and summing int32 block products, so they differ from ref by at most
   * sum over blocks of d/2 * sum |W| over the block, plus fp32 rounding. bf16 weights multiply x rounded to bf16
   * (nearest even) on every backend, ref included, with fp32 sums (vdpbf16ps, which also reads bf16 subnormals as
   * zero); NF4 weights multiply fp32 x with fp32 sums. Those two differ from ref by fp32 rounding only.
   */
  quantizedMatmul(x: Storage, w: Uint8Array, out: Storage, p: QuantizedMatmulParams): void;

  // ---- elementwise ----
  /** out = a op b, where b's shape is a suffix-broadcast of a's: a has `size` elements and b repeats every `bSize`
   * elements (bSize divides size; bSize === size is the plain elementwise case, bSize === 1 a scalar). */
  binary(op: BinaryOp, a: Storage, b: Storage, out: Storage, size: number, bSize: number): void;
  /** out = op(x) */
  unary(op: UnaryOp, x: Storage, out: Storage, size: number): void;
  /** dx (+)= dy * op'(x), for the unary ops (uses x, not the output). */
  unaryBackward(op: UnaryOp, x: Storage, dy: Storage, dx: Storage, size: number, accumulate: boolean): void;
  /** out = alpha * x + beta * out (beta 0 ignores out's old content, NaN included). */
  axpby(alpha: number, x: Storage, beta: number, out: Storage, size: number): void;
  /** Reduces x viewed as (outer, inner) over outer into out (inner) (accumulate adds). Used for broadcast grads. */
  sumOuter(x: Storage, out: Storage, outer: number, inner: number, accumulate: boolean): void;
  /** Reduces x viewed as (rows, cols) over cols into out (rows). */
  sumRows(x: Storage, out: Storage, rows: number, cols: number, accumulate: boolean): void;
  /** Sum of squares of all elements (for gradient clipping), in float64. */
  sumSquares(x: Storage, size: number): number;
  /** SwiGLU: out = silu(gate) * up, all of length size. */
  swiglu(gate: Storage, up: Storage, out: Storage, size: number): void;
  swigluBackward(gate: Storage, up: Storage, dy: Storage, dGate: Storage, dUp: Storage, size: number, accumulate: boolean): void;

  // ---- normalisation ----
  /** RMSNorm over the last dim: out = x / sqrt(mean(x^2) + eps) * weight; writes rstd (rows) for backward. */
  rmsnorm(x: Storage, weight: Storage, out: Storage, rstd: Storage, rows: number, dim: number, eps: number): void;
  rmsnormBackward(
    x: Storage, weight: Storage, rstd: Storage, dy: Storage, dx: Storage, dWeight: Storage | null,
    rows: number, dim: number, accumulate: boolean,
  ): void;
  /** LayerNorm over the last dim with weight and optional bias; writes mean and rstd (rows). */
  layernorm(
    x: Storage, weight: Storage, bias: Storage | null, out: Storage, mean: Storage, rstd: Storage,
    rows: number, dim: number, eps: number,
  ): void;
  layernormBackward(
    x: Storage, weight: Storage, mean: Storage, rstd: Storage, dy: Storage, dx: Storage,
    dWeight: Storage | null, dBias: Storage | null, rows: number, dim: number, accumulate: boolean,
  ): void;

  // ---- softmax family ----
  /** Row-wise softmax (or log-softmax) over the last dim. */
  softmax(x: Storage, out: Storage, rows: number, cols: number, log: boolean): void;
  /** Given y = softmax(x) (or log-softmax) and dy, dx (+)= the input gradient. */
  softmaxBackward(y: Storage, dy: Storage, dx: Storage, rows: number, cols: number, log: boolean, accumulate: boolean): void;

  // ---- embeddings and positions ----
  /** out (n, dim) = table[ids[i]] rows. */
  embedding(table: Storage, ids: Int32Array, out: Storage, dim: number): void;
  /** dTable[ids[i]] += dy[i] (scatter-add). */
  embeddingBackward(dy: Storage, ids: Int32Array, dTable: Storage, dim: number): void;
  /** Rotates x into out (out may be x). inverse = true applies the transposed rotation (the backward pass). */
  rope(x: Storage, out: Storage, p: RopeParams, inverse: boolean): void;

  // ---- attention ----
  /** out (batch, heads, tq, headDim) = softmax(q k^T * scale + causal mask) v; writes the row log-sum-exp
   * (batch, heads, tq) for the backward pass. */
  attention(q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, p: AttentionParams): void;
  /** Accumulates dq, dk, dv (always +=) from dOut, recomputing probabilities from lse. */
  attentionBackward(
    q: Storage, k: Storage, v: Storage, out: Storage, lse: Storage, dOut: Storage,
    dq: Storage, dk: Storage, dv: Storage, p: AttentionParams,
  ): void;

  // ---- losses ----
  /** Returns the summed (weighted) loss and the weight total; writes per-row lse (rows) for backward, and the
   * per-row losses when p.rowLosses is given. */
  linearCrossEntropy(
    hidden: Storage, weight: Storage, targets: Int32Array, lse: Storage, p: LinearCrossEntropyParams,
  ): { loss: number; weightTotal: number };
  /** dHidden (+)= and dWeight (+)= the gradients of scale * summed loss (scale is usually 1 / weightTotal), each
   * row's term also scaled by p.rowScales[r] when given. */
  linearCrossEntropyBackward(
    hidden: Storage, weight: Storage, targets: Int32Array, lse: Storage, scale: number,
    dHidden: Storage | null, dWeight: Storage | null, p: LinearCrossEntropyParams,
  ): void;

  // ---- optimizers ----
  /** One AdamW step in place over param, grad, m, v (all length size). */
  adamw(param: Storage, grad: Storage, m: Storage, v: Storage, size: number, p: AdamWParams): void;
}
