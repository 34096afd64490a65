/**
 * The native CPU backend: the kernels of `Backend` in C++ (native/, built by node-gyp into
 * build/Release/toolken_native.node), multithreaded over a persistent thread pool (TOOLKEN_THREADS sets its size),
 * with AVX-512 / AVX2+FMA code paths chosen at run time and a portable fallback.
 *
 * Storage is a plain Float32Array handed to C++ zero-copy; integer inputs (token ids, targets, positions) are
 * Int32Array. The addon validates every length it is given and throws an Error naming the kernel and the mismatch.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { uninitializedFloats } from './host-memory.js';
import type {
  AdamWParams,
  AttentionParams,
  Backend,
  BinaryOp,
  LinearCrossEntropyParams,
  MatmulParams,
  RopeParams,
  Storage,
  UnaryOp,
} from '../backend.js';

/** The functions the addon exports (native/binding.cc). Nullable arguments are optional outputs or inputs. */
interface NativeAddon {
  describe(): string;
  features(): CpuFeatures;
  getThreads(): number;
  setThreads(threads: number): void;
  fill(out: Float32Array, value: number, offset: number, length: number): void;
  copy(src: Float32Array, srcOffset: number, out: Float32Array, outOffset: number, length: number): void;
  copyStrided(src: Float32Array, offset: number, shape: readonly number[], strides: readonly number[], out: Float32Array): void;
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, batch: number, m: number, n: number, k: number,
    transA: boolean, transB: boolean, strideA: number, strideB: number, alpha: number, accumulate: boolean,
  ): void;
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, size: number, bSize: number): void;
  unary(op: number, x: Float32Array, out: Float32Array, size: number): void;
  unaryBackward(op: number, x: Float32Array, dy: Float32Array, dx: Float32Array, size: number, accumulate: boolean): void;
  axpby(alpha: number, x: Float32Array, beta: number, out: Float32Array, size: number): void;
  sumOuter(x: Float32Array, out: Float32Array, outer: number, inner: number, accumulate: boolean): void;
  sumRows(x: Float32Array, out: Float32Array, rows: number, cols: number, accumulate: boolean): void;
  sumSquares(x: Float32Array, size: number): number;
  swiglu(gate: Float32Array, up: Float32Array, out: Float32Array, size: number): void;
  swigluBackward(
    gate: Float32Array, up: Float32Array, dy: Float32Array, dGate: Float32Array, dUp: Float32Array, size: number, accumulate: boolean,
  ): void;
  rmsnorm(x: Float32Array, weight: Float32Array, out: Float32Array, rstd: Float32Array, rows: number, dim: number, eps: number): void;
  rmsnormBackward(
    x: Float32Array, weight: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array, dWeight: Float32Array | null,
    rows: number, dim: number, accumulate: boolean,
  ): void;
  layernorm(
    x: Float32Array, weight: Float32Array, bias: Float32Array | null, out: Float32Array, mean: Float32Array, rstd: Float32Array,
    rows: number, dim: number, eps: number,
  ): void;
  layernormBackward(
    x: Float32Array, weight: Float32Array, mean: Float32Array, rstd: Float32Array, dy: Float32Array, dx: Float32Array,
    dWeight: Float32Array | null, dBias: Float32Array | null, rows: number, dim: number, accumulate: boolean,
  ): void;
  softmax(x: Float32Array, out: Float32Array, rows: number, cols: number, log: boolean): void;
  softmaxBackward(
    y: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, cols: number, log: boolean, accumulate: boolean,
  ): void;
  embedding(table: Float32Array, ids: Int32Array, out: Float32Array, dim: number): void;
  embeddingBackward(dy: Float32Array, ids: Int32Array, dTable: Float32Array, dim: number): void;
  rope(
    x: Float32Array, out: Float32Array, batch: number, heads: number, t: number, headDim: number, startPosition: number,
    invFreq: Float32Array, positions: Int32Array | null, inverse: boolean,
  ): void;
  attention(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array,
    batch: number, heads: number, kvHeads: number, tq: number, tk: number, headDim: number, pastLength: number,
    causal: boolean, scale: number, kvHeadStride: number,
  ): void;
  attentionBackward(
    q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, lse: Float32Array, dOut: Float32Array,
    dq: Float32Array, dk: Float32Array, dv: Float32Array,
    batch: number, heads: number, kvHeads: number, tq: number, tk: number, headDim: number, pastLength: number,
    causal: boolean, scale: number, kvHeadStride: number,
  ): void;
  linearCrossEntropy(
    hidden: Float32Array, weight: Float32Array, targets: Int32Array, lse: Float32Array,
    rows: number, dim: number, vocab: number, ignoreIndex: number, chunk: number, rowWeights: Float32Array | null,
    keptLogits: Float32Array | null, labelSmoothing: number, smoothingStart: number, smoothingEnd: number,
    smoothingTargets: Float32Array | null, rowLosses: Float32Array | null, rowScales: Float32Array | null,
  ): [number, number];
  linearCrossEntropyBackward(
    hidden: Float32Array, weight: Float32Array, targets: Int32Array, lse: Float32Array, scale: number,
    dHidden: Float32Array | null, dWeight: Float32Array | null,
    rows: number, dim: number, vocab: number, ignoreIndex: number, chunk: number, rowWeights: Float32Array | null,
    keptLogits: Float32Array | null, labelSmoothing: number, smoothingStart: number, smoothingEnd: number,
    smoothingTargets: Float32Array | null, rowLosses: Float32Array | null, rowScales: Float32Array | null,
  ): void;
  adamw(
    param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, size: number,
    lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, step: number,
  ): void;
}

/** What the CPU offers and which kernel path the addon chose. */
export interface CpuFeatures {
  readonly avx2: boolean;
  readonly fma: boolean;
  readonly avx512f: boolean;
  /** The micro-kernels in use: 'avx512', 'avx2-fma' or 'scalar' (portable C++). TOOLKEN_NATIVE_KERNELS=avx2|portable
   * caps the choice at load time. */
  readonly path: 'avx512' | 'avx2-fma' | 'scalar';
}

/** The native backend, plus controls benchmarks use. */
export interface CpuBackend extends Backend {
  readonly features: CpuFeatures;
  /** One line: kernel path, thread count, blocking. */
  describe(): string;
  /** Resizes the thread pool (1 <= threads); results are deterministic for a fixed count. */
  setThreads(threads: number): void;
}

const BINARY_OPS: Readonly<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3 };
const UNARY_OPS: Readonly<Record<UnaryOp, number>> = {
  neg: 0, exp: 1, log: 2, sqrt: 3, rsqrt: 4, square: 5, silu: 6, gelu: 7, relu: 8, tanh: 9, sigmoid: 10,
};

/** Where node-gyp puts the addon, relative to this file in src/ or in dist/ (both sit two levels below the root). */
export const nativeAddonPath = fileURLToPath(new URL('../../../build/Release/toolken_native.node', import.meta.url));

function host(s: Storage, kernel: string, name: string): Float32Array {
  if (!(s instanceof Float32Array)) throw new Error(`cpu.${kernel}: ${name} must be cpu storage (a Float32Array)`);
  return s;
}

function hostOrNull(s: Storage | null, kernel: string, name: string): Float32Array | null {
  return s === null ? null : host(s, kernel, name);
}

function createBackend(addon: NativeAddon): CpuBackend {
  const features = addon.features();
  return {
    name: 'cpu',
    get threads() {
      return addon.getThreads();
    },
    features,
    describe: () => addon.describe(),
    setThreads(threads: number) {
      if (!Number.isInteger(threads) || threads < 1) throw new Error(`cpu.setThreads: threads must be a positive integer, got ${threads}`);
      addon.setThreads(threads);
    },

    alloc: (length) => new Float32Array(length),
    allocUninitialized: (length) => uninitializedFloats(length),
    upload: (data) => Float32Array.from(data),
    download: (s) => host(s, 'download', 's'),
    fill: (out, value, offset = 0, length) => {
      const o = host(out, 'fill', 'out');
      addon.fill(o, value, offset, length ?? o.length - offset);
    },
    copy: (src, srcOffset, out, outOffset, length) =>
      addon.copy(host(src, 'copy', 'src'), srcOffset, host(out, 'copy', 'out'), outOffset, length),
    copyStrided: (src, offset, shape, strides, out) =>
      addon.copyStrided(host(src, 'copyStrided', 'src'), offset, shape, strides, host(out, 'copyStrided', 'out')),

    matmul(a, b, out, p: MatmulParams) {
      addon.matmul(
        host(a, 'matmul', 'a'), host(b, 'matmul', 'b'), host(out, 'matmul', 'out'), p.batch, p.m, p.n, p.k, p.transA, p.transB,
        p.strideA ?? p.m * p.k, p.strideB ?? p.k * p.n, p.alpha ?? 1, p.accumulate ?? false,
      );
    },

    binary: (op, a, b, out, size, bSize) =>
      addon.binary(BINARY_OPS[op], host(a, 'binary', 'a'), host(b, 'binary', 'b'), host(out, 'binary', 'out'), size, bSize),
    unary: (op, x, out, size) => addon.unary(UNARY_OPS[op], host(x, 'unary', 'x'), host(out, 'unary', 'out'), size),
    unaryBackward: (op, x, dy, dx, size, accumulate) =>
      addon.unaryBackward(
        UNARY_OPS[op], host(x, 'unaryBackward', 'x'), host(dy, 'unaryBackward', 'dy'), host(dx, 'unaryBackward', 'dx'), size, accumulate,
      ),
    axpby: (alpha, x, beta, out, size) => addon.axpby(alpha, host(x, 'axpby', 'x'), beta, host(out, 'axpby', 'out'), size),
    sumOuter: (x, out, outer, inner, accumulate) =>
      addon.sumOuter(host(x, 'sumOuter', 'x'), host(out, 'sumOuter', 'out'), outer, inner, accumulate),
    sumRows: (x, out, rows, cols, accumulate) => addon.sumRows(host(x, 'sumRows', 'x'), host(out, 'sumRows', 'out'), rows, cols, accumulate),
    sumSquares: (x, size) => addon.sumSquares(host(x, 'sumSquares', 'x'), size),
    swiglu: (gate, up, out, size) => addon.swiglu(host(gate, 'swiglu', 'gate'), host(up, 'swiglu', 'up'), host(out, 'swiglu', 'out'), size),
    swigluBackward: (gate, up, dy, dGate, dUp, size, accumulate) =>
      addon.swigluBackward(
        host(gate, 'swigluBackward', 'gate'), host(up, 'swigluBackward', 'up'), host(dy, 'swigluBackward', 'dy'),
        host(dGate, 'swigluBackward', 'dGate'), host(dUp, 'swigluBackward', 'dUp'), size, accumulate,
      ),

    rmsnorm: (x, weight, out, rstd, rows, dim, eps) =>
      addon.rmsnorm(
        host(x, 'rmsnorm', 'x'), host(weight, 'rmsnorm', 'weight'), host(out, 'rmsnorm', 'out'), host(rstd, 'rmsnorm', 'rstd'), rows, dim, eps,
      ),
    rmsnormBackward: (x, weight, rstd, dy, dx, dWeight, rows, dim, accumulate) =>
      addon.rmsnormBackward(
        host(x, 'rmsnormBackward', 'x'), host(weight, 'rmsnormBackward', 'weight'), host(rstd, 'rmsnormBackward', 'rstd'),
        host(dy, 'rmsnormBackward', 'dy'), host(dx, 'rmsnormBackward', 'dx'), hostOrNull(dWeight, 'rmsnormBackward', 'dWeight'),
        rows, dim, accumulate,
      ),
    layernorm: (x, weight, bias, out, mean, rstd, rows, dim, eps) =>
      addon.layernorm(
        host(x, 'layernorm', 'x'), host(weight, 'layernorm', 'weight'), hostOrNull(bias, 'layernorm', 'bias'), host(out, 'layernorm', 'out'),
        host(mean, 'layernorm', 'mean'), host(rstd, 'layernorm', 'rstd'), rows, dim, eps,
      ),
    layernormBackward: (x, weight, mean, rstd, dy, dx, dWeight, dBias, rows, dim, accumulate) =>
      addon.layernormBackward(
        host(x, 'layernormBackward', 'x'), host(weight, 'layernormBackward', 'weight'), host(mean, 'layernormBackward', 'mean'),
        host(rstd, 'layernormBackward', 'rstd'), host(dy, 'layernormBackward', 'dy'), host(dx, 'layernormBackward', 'dx'),
        hostOrNull(dWeight, 'layernormBackward', 'dWeight'), hostOrNull(dBias, 'layernormBackward', 'dBias'), rows, dim, accumulate,
      ),

    softmax: (x, out, rows, cols, log) => addon.softmax(host(x, 'softmax', 'x'), host(out, 'softmax', 'out'), rows, cols, log),
    softmaxBackward: (y, dy, dx, rows, cols, log, accumulate) =>
      addon.softmaxBackward(
        host(y, 'softmaxBackward', 'y'), host(dy, 'softmaxBackward', 'dy'), host(dx, 'softmaxBackward', 'dx'), rows, cols, log, accumulate,
      ),

    embedding: (table, ids, out, dim) => addon.embedding(host(table, 'embedding', 'table'), ids, host(out, 'embedding', 'out'), dim),
    embeddingBackward: (dy, ids, dTable, dim) =>
      addon.embeddingBackward(host(dy, 'embeddingBackward', 'dy'), ids, host(dTable, 'embeddingBackward', 'dTable'), dim),
    rope(x, out, p: RopeParams, inverse) {
      addon.rope(
        host(x, 'rope', 'x'), host(out, 'rope', 'out'), p.batch, p.heads, p.t, p.headDim, p.startPosition, p.invFreq,
        p.positions ?? null, inverse,
      );
    },

    attention(q, k, v, out, lse, p: AttentionParams) {
      addon.attention(
        host(q, 'attention', 'q'), host(k, 'attention', 'k'), host(v, 'attention', 'v'), host(out, 'attention', 'out'),
        host(lse, 'attention', 'lse'), p.batch, p.heads, p.kvHeads, p.tq, p.tk, p.headDim, p.pastLength, p.causal, p.scale,
        p.kvHeadStride ?? p.tk * p.headDim,
      );
    },
    attentionBackward(q, k, v, out, lse, dOut, dq, dk, dv, p: AttentionParams) {
      const kernel = 'attentionBackward';
      addon.attentionBackward(
        host(q, kernel, 'q'), host(k, kernel, 'k'), host(v, kernel, 'v'), host(out, kernel, 'out'), host(lse, kernel, 'lse'),
        host(dOut, kernel, 'dOut'), host(dq, kernel, 'dq'), host(dk, kernel, 'dk'), host(dv, kernel, 'dv'),
        p.batch, p.heads, p.kvHeads, p.tq, p.tk, p.headDim, p.pastLength, p.causal, p.scale, p.kvHeadStride ?? p.tk * p.headDim,
      );
    },

    linearCrossEntropy(hidden, weight, targets, lse, p: LinearCrossEntropyParams) {
      const [loss, weightTotal] = addon.linearCrossEntropy(
        host(hidden, 'linearCrossEntropy', 'hidden'), host(weight, 'linearCrossEntropy', 'weight'), targets,
        host(lse, 'linearCrossEntropy', 'lse'), p.rows, p.dim, p.vocab, p.ignoreIndex, p.chunk, p.rowWeights ?? null,
        p.keptLogits === undefined ? null : host(p.keptLogits, 'linearCrossEntropy', 'keptLogits'), p.labelSmoothing ?? 0, p.smoothingClasses?.start ?? 0, p.smoothingClasses?.end ?? p.vocab,
        p.smoothingTargets ?? null, p.rowLosses === undefined ? null : host(p.rowLosses, 'linearCrossEntropy', 'rowLosses'), null,
      );
      return { loss, weightTotal };
    },
    linearCrossEntropyBackward(hidden, weight, targets, lse, scale, dHidden, dWeight, p: LinearCrossEntropyParams) {
      const kernel = 'linearCrossEntropyBackward';
      addon.linearCrossEntropyBackward(
        host(hidden, kernel, 'hidden'), host(weight, kernel, 'weight'), targets, host(lse, kernel, 'lse'), scale,
        hostOrNull(dHidden, kernel, 'dHidden'), hostOrNull(dWeight, kernel, 'dWeight'),
        p.rows, p.dim, p.vocab, p.ignoreIndex, p.chunk, p.rowWeights ?? null,
        p.keptLogits === undefined ? null : host(p.keptLogits, kernel, 'keptLogits'), p.labelSmoothing ?? 0, p.smoothingClasses?.start ?? 0, p.smoothingClasses?.end ?? p.vocab,
        p.smoothingTargets ?? null, null, p.rowScales === undefined ? null : host(p.rowScales, kernel, 'rowScales'),
      );
    },

    adamw(param, grad, m, v, size, p: AdamWParams) {
      addon.adamw(
        host(param, 'adamw', 'param'), host(grad, 'adamw', 'grad'), host(m, 'adamw', 'm'), host(v, 'adamw', 'v'), size,
        p.lr, p.beta1, p.beta2, p.eps, p.weightDecay, p.step,
      );
    },
  };
}

const loaded = new Map<string, { backend: CpuBackend } | { error: string }>();

/**
 * Loads the native backend (once per process and path). Returns `{ error }` (never throws) when the addon was not
 * built or cannot be loaded here, so callers can fall back to the `ref` backend and say why.
 */
export function loadCpuBackend(addonPath: string = nativeAddonPath): { backend: CpuBackend } | { error: string } {
  const known = loaded.get(addonPath);
  if (known) return known;
  let result: { backend: CpuBackend } | { error: string };
  if (!existsSync(addonPath)) {
    result = { error: `the native CPU backend is not built (${addonPath} is missing); run \`npm run build\` with a C++ compiler installed` };
  } else {
    try {
      const addon = createRequire(import.meta.url)(addonPath) as NativeAddon;
      result = { backend: createBackend(addon) };
    } catch (err) {
      result = { error: `the native CPU backend at ${addonPath} failed to load: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  loaded.set(addonPath, result);
  return result;
}
