import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend, MatmulParams } from '../backend.js';
import { Rng } from '../random.js';
import { assertConformance } from '../testing/conformance.js';
import { createRequire } from 'node:module';
import { wireTable } from '../kernels.js';
import { loadCpuBackend, nativeAddonPath, type CpuBackend, type MatmulPath } from './cpu.js';
import { refBackend } from './ref.js';
import { withEnv } from '../testing/env.js';

const loaded = loadCpuBackend();
const cpu: CpuBackend | null = 'backend' in loaded ? loaded.backend : null;
const skipReason = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;

function randomArray(rng: Rng, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rng.uniform();
  return a;
}

/** Largest |got - want| / max(1, |want|), the conformance suite's measure; NaN counts as infinitely wrong. */
function maxError(got: Float32Array, want: Float32Array): number {
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!));
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

/** Runs `kernel` on both backends with the same inputs (fresh copies each) and returns the worst error. */
function compare(kernel: (b: Backend, inputs: Float32Array[]) => Float32Array[], inputs: Float32Array[]): number {
  const want = kernel(refBackend, inputs.map((x) => new Float32Array(x)));
  const got = kernel(cpu!, inputs.map((x) => new Float32Array(x)));
  return Math.max(...got.map((g, i) => maxError(g, want[i]!)));
}

function matmulError(p: MatmulParams, seed: number): number {
  const rng = new Rng(seed);
  const aLen = (p.strideA ?? p.m * p.k) === 0 ? p.m * p.k : (p.strideA ?? p.m * p.k) * p.batch;
  const bLen = (p.strideB ?? p.k * p.n) === 0 ? p.k * p.n : (p.strideB ?? p.k * p.n) * p.batch;
  return compare(
    (b, [x, y, out]) => {
      b.matmul(x!, y!, out!, p);
      return [out!];
    },
    [randomArray(rng, aLen), randomArray(rng, bLen), randomArray(rng, p.batch * p.m * p.n)],
  );
}

test('cpu backend: every kernel agrees with the ref backend (shared conformance suite)', { skip: skipReason }, () => {
  const results = assertConformance(cpu!);
  assert.ok(results.length > 50);
});

test('cpu backend: describe() and features name the kernel path and the thread count', { skip: skipReason }, () => {
  const expectedKernel = { avx512: 'avx512 6x32', 'avx2-fma': 'avx2-fma 6x16', scalar: 'portable 6x16' }[cpu!.features.path];
  assert.ok(cpu!.describe().startsWith(`cpu backend: ${expectedKernel} sgemm, `), cpu!.describe());
  assert.match(cpu!.describe(), new RegExp(`, ${cpu!.threads} threads;`));
});

test('cpu matmul matches ref across tile edges: m, n, k beyond one cache block and not multiples of the register tile', { skip: skipReason }, () => {
  // Blocks are MC = 24..48 rows, KC = 512 deep, NC = 4096 wide, tiles 6 x 16 or 6 x 32: these shapes cross each
  // boundary with ragged edges, and m < 3 takes the unpacked row path.
  const shapes: [number, number, number][] = [[1, 1, 1], [2, 37, 19], [3, 17, 1], [151, 29, 263], [7, 4100, 5], [64, 64, 513]];
  for (const [m, n, k] of shapes) {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const err = matmulError({ batch: 1, m, n, k, transA, transB, alpha: 0.75, accumulate: m % 2 === 1 }, m * 7 + n);
        assert.ok(err <= 1e-4, `${m}x${n}x${k} transA=${transA} transB=${transB}: error ${err}`);
      }
    }
  }
});

test('cpu batched matmul: broadcast operands (stride 0) and many small products split over the batch', { skip: skipReason }, () => {
  const cases: MatmulParams[] = [
    { batch: 12, m: 9, n: 11, k: 13, transA: false, transB: true, strideA: 0 },
    { batch: 5, m: 20, n: 7, k: 3, transA: true, transB: false, strideB: 0, accumulate: true },
    { batch: 3, m: 40, n: 300, k: 70, transA: false, transB: false },
  ];
  for (const p of cases) {
    const err = matmulError(p, p.batch);
    assert.ok(err <= 1e-4, `${JSON.stringify(p)}: error ${err}`);
  }
});

test('cpu matmul with k = 0 writes zeros, or leaves out unchanged when accumulating', { skip: skipReason }, () => {
  const out = new Float32Array([5, 6, 7, 8]);
  cpu!.matmul(new Float32Array(0), new Float32Array(0), out, { batch: 1, m: 2, n: 2, k: 0, transA: false, transB: false, accumulate: true });
  assert.deepEqual([...out], [5, 6, 7, 8]);
  cpu!.matmul(new Float32Array(0), new Float32Array(0), out, { batch: 1, m: 2, n: 2, k: 0, transA: false, transB: false });
  assert.deepEqual([...out], [0, 0, 0, 0]);
});

test('cpu results are identical for 1 and 2 threads and across repeated calls', { skip: skipReason }, () => {
  const rng = new Rng(7);
  const [m, n, k] = [157, 203, 300];
  const a = randomArray(rng, m * k);
  const b = randomArray(rng, k * n);
  const x = randomArray(rng, 300_000);
  const before = cpu!.threads;
  const run = (threads: number): [Float32Array, number] => {
    cpu!.setThreads(threads);
    const out = new Float32Array(m * n);
    cpu!.matmul(a, b, out, { batch: 1, m, n, k, transA: false, transB: true });
    return [out, cpu!.sumSquares(x, x.length)];
  };
  try {
    const [one, sumOne] = run(1);
    const [two, sumTwo] = run(2);
    const [again, sumAgain] = run(2);
    assert.deepEqual(two, one);
    assert.deepEqual(again, two);
    assert.equal(sumAgain, sumTwo);
    assert.ok(Math.abs(sumOne - sumTwo) <= 1e-9 * sumOne);
    assert.equal(cpu!.threads, 2);
  } finally {
    cpu!.setThreads(before);
  }
});

test('cpu multithreaded row and element kernels match ref on sizes above the parallel grain', { skip: skipReason }, () => {
  const rng = new Rng(11);
  const size = 70_001;
  const rows = 301;
  const dim = 577;
  assert.ok(
    compare((b, [x, y, out]) => {
      b.binary('mul', x!, y!, out!, size, size);
      return [out!];
    }, [randomArray(rng, size), randomArray(rng, size), new Float32Array(size)]) <= 1e-5,
  );
  assert.ok(
    compare((b, [x, out]) => {
      b.unary('gelu', x!, out!, size);
      return [out!];
    }, [randomArray(rng, size, -4, 4), new Float32Array(size)]) <= 1e-5,
  );
  assert.ok(
    compare((b, [x, out]) => {
      b.sumOuter(x!, out!, rows, dim, true);
      return [out!];
    }, [randomArray(rng, rows * dim), randomArray(rng, dim)]) <= 1e-4,
  );
  assert.ok(
    compare((b, [x, w, dy, dx, dw]) => {
      const out = b.alloc(rows * dim);
      const rstd = b.alloc(rows);
      b.rmsnorm(x!, w!, out, rstd, rows, dim, 1e-5);
      b.rmsnormBackward(x!, w!, rstd, dy!, dx!, dw!, rows, dim, true);
      return [b.download(out), b.download(rstd), dx!, dw!];
    }, [randomArray(rng, rows * dim, -2, 2), randomArray(rng, dim, 0.5, 1.5), randomArray(rng, rows * dim), randomArray(rng, rows * dim), randomArray(rng, dim)]) <= 1e-4,
  );
  assert.ok(
    compare((b, [x, out, dy, dx]) => {
      b.softmax(x!, out!, rows, dim, true);
      b.softmaxBackward(out!, dy!, dx!, rows, dim, true, false);
      return [out!, dx!];
    }, [randomArray(rng, rows * dim, -6, 6), new Float32Array(rows * dim), randomArray(rng, rows * dim), new Float32Array(rows * dim)]) <= 1e-4,
  );
});

test('cpu softmax: masked (-Infinity) and far-below-max entries get probability 0, NaN propagates', { skip: skipReason }, () => {
  const cols = 19;
  const x = new Float32Array(2 * cols).fill(0.5);
  x[0] = -Infinity;
  x[1] = -1000;
  x[2] = 3;
  x[cols + 4] = Number.NaN;
  const out = new Float32Array(2 * cols);
  cpu!.softmax(x, out, 2, cols, false);
  assert.equal(out[0], 0);
  assert.equal(out[1], 0);
  const want = new Float32Array(2 * cols);
  refBackend.softmax(x, want, 2, cols, false);
  assert.ok(maxError(out.subarray(0, cols), want.subarray(0, cols)) <= 1e-6);
  assert.ok(out.subarray(cols).every((v) => Number.isNaN(v)));
});

test('cpu embedding backward adds every repeated id exactly once (race-free scatter-add)', { skip: skipReason }, () => {
  const dim = 96;
  const ids = new Int32Array(5000).fill(3);
  const dy = new Float32Array(ids.length * dim).fill(1);
  const dTable = new Float32Array(8 * dim);
  cpu!.embeddingBackward(dy, ids, dTable, dim);
  assert.deepEqual([...new Set(dTable.subarray(3 * dim, 4 * dim))], [5000]);
  assert.equal(dTable.subarray(0, 3 * dim).every((v) => v === 0), true);
});

test('cpu attention matches ref across query and key blocks: prefill, KV-cache continuation, decode, not causal', { skip: skipReason }, () => {
  // Query and key blocks are 64 rows: these cover several blocks, ragged ends, and a cache longer than one block.
  const configs = [
    { batch: 2, heads: 6, kvHeads: 2, tq: 33, past: 7, capacity: 48, headDim: 24, causal: true },
    { batch: 1, heads: 4, kvHeads: 2, tq: 70, past: 80, capacity: 160, headDim: 16, causal: true },
    { batch: 2, heads: 3, kvHeads: 1, tq: 1, past: 99, capacity: 100, headDim: 8, causal: true },
    { batch: 1, heads: 2, kvHeads: 2, tq: 130, past: 0, capacity: 130, headDim: 8, causal: false },
  ];
  for (const c of configs) {
    const rng = new Rng(c.tq);
    const tk = c.past + c.tq;
    const d = c.headDim;
    const p = { batch: c.batch, heads: c.heads, kvHeads: c.kvHeads, tq: c.tq, tk, headDim: d, pastLength: c.past, causal: c.causal, scale: 1 / Math.sqrt(d), kvHeadStride: c.capacity * d };
    const qLen = c.batch * c.heads * c.tq * d;
    const kvLen = c.batch * c.kvHeads * c.capacity * d;
    const err = compare(
      (b, [q, k, v, dOut, dq, dk, dv]) => {
        const out = b.alloc(qLen);
        const lse = b.alloc(c.batch * c.heads * c.tq);
        b.attention(q!, k!, v!, out, lse, p);
        b.attentionBackward(q!, k!, v!, out, lse, dOut!, dq!, dk!, dv!, p);
        return [b.download(out), b.download(lse), dq!, dk!, dv!];
      },
      [randomArray(rng, qLen, -2, 2), randomArray(rng, kvLen, -2, 2), randomArray(rng, kvLen), randomArray(rng, qLen),
        randomArray(rng, qLen), randomArray(rng, kvLen), randomArray(rng, kvLen)],
    );
    assert.ok(err <= 2e-4, `${JSON.stringify(c)}: error ${err}`);
  }
});

/** rows random probability distributions over `classes` classes, row-major. */
function rowDistributions(rows: number, classes: number): Float32Array {
  const rng = new Rng(10);
  const q = randomArray(rng, rows * classes, 0, 1);
  for (let r = 0; r < rows; r++) {
    const row = q.subarray(r * classes, (r + 1) * classes);
    const total = row.reduce((a, b) => a + b, 0);
    for (let k = 0; k < classes; k++) row[k]! /= total;
  }
  return q;
}

const smoothingVariants = [
  { name: 'no smoothing', labelSmoothing: 0 },
  { name: 'smoothing over the vocabulary', labelSmoothing: 0.1 },
  { name: 'smoothing over classes 900..1002', labelSmoothing: 0.3, smoothingClasses: { start: 900, end: 1003 } },
  { name: 'per-row smoothing targets over classes 900..1002', labelSmoothing: 0.5, smoothingClasses: { start: 900, end: 1003 }, smoothingTargets: rowDistributions(37, 103) },
];
for (const { name, ...smoothing } of smoothingVariants) test(`cpu linear cross-entropy matches ref over many vocabulary chunks with a ragged last chunk (${name})`, { skip: skipReason }, () => {
  const rng = new Rng(9);
  const rows = 37;
  const dim = 40;
  const vocab = 1003;
  const targets = new Int32Array(rows);
  for (let r = 0; r < rows; r++) targets[r] = rng.int(vocab);
  targets[4] = -1;
  for (let r = 0; r < rows; r += 3) targets[r] = 900 + rng.int(103);
  targets[4] = -1;
  const p = { rows, dim, vocab, ignoreIndex: -1, chunk: 128, ...smoothing };
  const hidden = randomArray(rng, rows * dim, -1, 1);
  const weight = randomArray(rng, vocab * dim, -1, 1);
  const run = (b: Backend) => {
    const lse = b.alloc(rows);
    const totals = b.linearCrossEntropy(hidden, weight, targets, lse, p);
    const dHidden = new Float32Array(rows * dim).fill(0.5);
    const dWeight = new Float32Array(vocab * dim).fill(-0.25);
    b.linearCrossEntropyBackward(hidden, weight, targets, lse, 1 / totals.weightTotal, dHidden, dWeight, p);
    return { totals, lse: new Float32Array(b.download(lse)), dHidden, dWeight };
  };
  const want = run(refBackend);
  const got = run(cpu!);
  assert.equal(got.totals.weightTotal, 36);
  assert.ok(Math.abs(got.totals.loss - want.totals.loss) <= 1e-4 * want.totals.loss, `${got.totals.loss} vs ${want.totals.loss}`);
  assert.equal(got.lse[4], 0);
  assert.ok(maxError(got.lse, want.lse) <= 1e-4);
  assert.ok(maxError(got.dHidden, want.dHidden) <= 2e-4);
  assert.ok(maxError(got.dWeight, want.dWeight) <= 2e-4);
});

test('cpu kernels reject short arrays and bad indices with an error naming the kernel and the mismatch', { skip: skipReason }, () => {
  const c = cpu!;
  assert.throws(
    () => c.matmul(new Float32Array(5), new Float32Array(6), new Float32Array(4), { batch: 1, m: 2, n: 2, k: 3, transA: false, transB: false }),
    { message: 'cpu.matmul: a has 5 elements but 6 are needed (batch 1, m 2, n 2, k 3, strideA 6)' },
  );
  assert.throws(() => c.binary('add', new Float32Array(6), new Float32Array(4), new Float32Array(6), 6, 4), {
    message: 'cpu.binary: bSize 4 does not divide size 6',
  });
  assert.throws(() => c.embedding(new Float32Array(8), Int32Array.from([0, 4]), new Float32Array(4), 2), {
    message: 'cpu.embedding: ids[1] = 4 is outside table rows 0..3',
  });
  assert.throws(() => c.rmsnorm(new Float32Array(6), new Float32Array(3), new Float32Array(6), new Float32Array(1), 2, 3, 1e-5), {
    message: 'cpu.rmsnorm: rstd has 1 elements but 2 are needed (rows)',
  });
  const targets = Int32Array.from([0, 9]);
  assert.throws(
    () => c.linearCrossEntropy(new Float32Array(4), new Float32Array(6), targets, new Float32Array(2), { rows: 2, dim: 2, vocab: 3, ignoreIndex: -100, chunk: 2 }),
    { message: 'cpu.linearCrossEntropy: targets[1] = 9 is outside the vocabulary 0..2 and is not ignoreIndex -100' },
  );
  assert.throws(() => c.copy(refBackend.alloc(3), 0, { length: 3 }, 0, 3), { message: 'cpu.copy: out must be cpu storage (a Float32Array)' });
  assert.throws(() => c.setThreads(0), { message: 'cpu.setThreads: threads must be a positive integer, got 0' });
});

test('loadCpuBackend returns an error naming the file when the addon is missing or is not an addon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-cpu-'));
  try {
    const missing = join(dir, 'missing.node');
    assert.deepEqual(loadCpuBackend(missing), {
      error: `the native CPU backend is not built (${missing} is missing); run \`npm run build\` with a C++ compiler installed`,
    });
    const broken = join(dir, 'broken.node');
    writeFileSync(broken, 'not a shared library');
    const result = loadCpuBackend(broken);
    assert.ok('error' in result);
    assert.ok(result.error.startsWith(`the native CPU backend at ${broken} failed to load: `), result.error);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs `body` (module code; `backend` is the loaded cpu backend) in a child process with extra environment. */
function inChild(env: Record<string, string>, body: string): unknown {
  const script = [
    "import { loadCpuBackend } from './src/tensor/backends/cpu.ts';",
    "import { checkConformance } from './src/tensor/testing/conformance.ts';",
    'const r = loadCpuBackend();',
    "if (!('backend' in r)) throw new Error(r.error);",
    'const backend = r.backend;',
    body,
  ].join('\n');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!);
}

test('TOOLKEN_THREADS sets the size of the thread pool', { skip: skipReason }, () => {
  assert.deepEqual(inChild({ TOOLKEN_THREADS: '3' }, 'console.log(JSON.stringify({ threads: backend.threads }));'), { threads: 3 });
});

for (const [cap, path] of [['avx2', 'avx2-fma'], ['portable', 'scalar']] as const) {
  const unavailable = cpu !== null && cap === 'avx2' && cpu.features.path === 'scalar' ? 'this CPU has no AVX2+FMA' : false;
  test(`the ${path} kernel path (TOOLKEN_NATIVE_KERNELS=${cap}) also conforms to ref`, { skip: skipReason || unavailable }, () => {
    // The path is fixed when the addon loads, so the check runs in a child process with the cap set.
    const result = inChild(
      { TOOLKEN_NATIVE_KERNELS: cap },
      'console.log(JSON.stringify({ path: backend.features.path, failures: checkConformance(backend).filter((x) => !x.ok).map((x) => x.kernel + " " + x.label) }));',
    );
    assert.deepEqual(result, { path, failures: [] });
  });
}

test('the addon refuses a kernel table that does not match its handlers, naming the kernel and the argument', { skip: skipReason }, () => {
  const addon = createRequire(import.meta.url)(nativeAddonPath) as { bind(table: ReturnType<typeof wireTable>): unknown };
  const prefix = 'cpu.bind: the kernel table (src/tensor/kernels.ts) does not match native/binding.cc: ';
  const table = wireTable();
  const retyped = table.map(([name, args, result]) =>
    [name, name === 'softmax' ? args.map(([arg, kind]) => [arg, arg === 'log' ? 'number' : kind]) : args, result]) as typeof table;
  assert.throws(() => addon.bind(retyped), { message: `${prefix}softmax argument 4 (log) is bool, the table says number` });
  const shortened = table.map(([name, args, result]) => [name, name === 'copy' ? args.slice(1) : args, result]) as typeof table;
  assert.throws(() => addon.bind(shortened), { message: `${prefix}copy takes 5 arguments, the table lists 4` });
  assert.throws(() => addon.bind(table.filter(([name]) => name !== 'adamw')), { message: `${prefix}kernel adamw is missing from the table` });
  assert.throws(() => addon.bind([...table, ['gemv' as 'adamw', [], 'void']]), { message: `${prefix}kernel gemv has no handler` });
  assert.throws(
    () => addon.bind(table.map(([name, args, result]) => [name, args, name === 'sumSquares' ? 'void' : result])),
    { message: `${prefix}sumSquares returns number, the table says void` },
  );
});

// ---- bf16 matmul paths ----

const BF16_PATHS: readonly MatmulPath[] = ['amx', 'avx512-bf16', 'fp32'];

/** Runs fn with TOOLKEN_MATMUL_PATH set to path (the addon reads it at every bf16 call), restoring it after. */
function withMatmulPath<T>(path: MatmulPath, fn: () => T): T {
  return withEnv('TOOLKEN_MATMUL_PATH', path, fn);
}

/**
 * Worst error of a bf16 matmul against the exact bf16-rounded reference, in units of the fp32 summation bound:
 * each output may differ by (k + 2) * 2^-24 * (|alpha| * sum_l |a_il b_lj| + |c_ij before|), the error of summing k
 * exactly-rounded products in fp32 (plus the scale and the accumulate). <= 1 is within the stated tolerance.
 */
function bf16BoundRatio(b: Backend, aIn: Float32Array, bIn: Float32Array, cIn: Float32Array, p: MatmulParams): number {
  const params = { ...p, precision: 'bf16' as const };
  const got = b.download((() => {
    const out = b.upload(new Float32Array(cIn));
    b.matmul(b.upload(aIn), b.upload(bIn), out, params);
    return out;
  })());
  const want = refBackend.alloc(cIn.length);
  refBackend.copy(refBackend.upload(cIn), 0, want, 0, cIn.length);
  refBackend.matmul(refBackend.upload(aIn), refBackend.upload(bIn), want, params);
  const magnitude = refBackend.upload(new Float32Array(cIn.length));
  refBackend.matmul(refBackend.upload(aIn.map(Math.abs)), refBackend.upload(bIn.map(Math.abs)), magnitude, { ...params, alpha: Math.abs(p.alpha ?? 1) });
  const wantValues = refBackend.download(want), size = refBackend.download(magnitude);
  const unit = (p.k + 2) * 2 ** -24;
  let worst = 0;
  for (let i = 0; i < wantValues.length; i++) {
    const bound = unit * (size[i]! + (p.accumulate ? Math.abs(cIn[i]!) : 0)) + 2 ** -149;
    const ratio = Math.abs(got[i]! - wantValues[i]!) / bound;
    worst = Number.isNaN(ratio) ? Infinity : Math.max(worst, ratio);
  }
  return worst;
}

/** Values whose magnitudes span 2^-spread..2^spread with random signs: large dynamic range, heavy cancellation. */
function wideRangeArray(rng: Rng, n: number, spread: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (spread * (2 * rng.uniform() - 1));
  return a;
}

for (const path of BF16_PATHS) {
  const unavailable = skipReason || (cpu!.features.matmulPaths.includes(path) ? false : `this CPU cannot run the ${path} bf16 path (it runs ${cpu!.features.matmulPaths.join(', ')})`);
  test(`cpu bf16 matmul (${path} path) matches the bf16-rounded reference within the fp32 summation bound`, { skip: unavailable }, () => {
    withMatmulPath(path, () => {
      assert.match(cpu!.describe(), new RegExp(`; bf16 matmul ${path} \\(available: `));
      const rng = new Rng(19);
      // Odd shapes: single elements, odd depth (a padded pair), and sizes off every tile (12x32, 16x16, 32 pairs).
      const shapes = [[1, 1, 1], [3, 5, 2], [17, 33, 31], [13, 70, 601], [65, 129, 63], [97, 47, 1025]] as const;
      for (const [m, n, k] of shapes) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            const p: MatmulParams = { batch: 1, m, n, k, transA, transB, alpha: 0.75, accumulate: (m + k) % 2 === 0 };
            const label = `${m}x${n}x${k} ${transA ? 'transA' : 'A'} ${transB ? 'transB' : 'B'}`;
            const uniform = bf16BoundRatio(cpu!, randomArray(rng, m * k), randomArray(rng, k * n), randomArray(rng, m * n), p);
            assert.ok(uniform <= 1, `${label} uniform inputs: ${uniform} x the bound`);
            const wide = bf16BoundRatio(cpu!, wideRangeArray(rng, m * k, 40), wideRangeArray(rng, k * n, 40), wideRangeArray(rng, m * n, 20), p);
            assert.ok(wide <= 1, `${label} inputs spanning 2^-40..2^40: ${wide} x the bound`);
          }
        }
      }
      const batched: MatmulParams = { batch: 3, m: 20, n: 36, k: 50, transA: false, transB: true, strideB: 0 };
      const ratio = bf16BoundRatio(cpu!, randomArray(rng, 3 * 20 * 50), randomArray(rng, 36 * 50), new Float32Array(3 * 20 * 36), batched);
      assert.ok(ratio <= 1, `batched, B broadcast: ${ratio} x the bound`);
    });
  });

  test(`cpu bf16 matmul (${path} path) rounds its inputs to nearest even, unlike the fp32 precision`, { skip: unavailable }, () => {
    withMatmulPath(path, () => {
      // 1 + 2^-8 is a tie (rounds to 1), 1 + 3 * 2^-8 a tie rounding up to 1 + 2^-6; 2^-130 is subnormal and kept.
      const a = cpu!.upload(new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 2 ** -130]));
      const b = cpu!.upload(new Float32Array([1, 1, 2 ** 100]));
      const out = cpu!.alloc(1);
      cpu!.matmul(a, b, out, { batch: 1, m: 1, n: 1, k: 3, transA: false, transB: false, precision: 'bf16' });
      assert.equal(cpu!.download(out)[0], Math.fround(1 + 1 + 2 ** -6 + 2 ** -30));
      cpu!.matmul(a, b, out, { batch: 1, m: 1, n: 1, k: 3, transA: false, transB: false });
      assert.equal(cpu!.download(out)[0], Math.fround(2 + 4 * 2 ** -8 + 2 ** -30), 'fp32 precision keeps every bit');
    });
  });
}

test('TOOLKEN_MATMUL_PATH naming a path this CPU cannot run falls back to the best one it can', { skip: skipReason }, () => {
  const best = cpu!.features.matmulPaths[0]!;
  assert.equal(cpu!.features.matmulPaths.at(-1), 'fp32', 'fp32 is always available');
  const missing = BF16_PATHS.find((p) => !cpu!.features.matmulPaths.includes(p));
  if (missing !== undefined) withMatmulPath(missing, () => assert.match(cpu!.describe(), new RegExp(`; bf16 matmul ${best} `)));
  withMatmulPath('fp32', () => assert.match(cpu!.describe(), /; bf16 matmul fp32 /));
});
