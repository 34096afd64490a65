import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, QuantizedMatmulParams } from '../backend.js';
import { f32ToF16 } from '../f16.js';
import { bf16Rounded } from '../bf16.js';
import { NF4_CODE, QUANT_BLOCK, QUANT_FORMATS, dequantize, quantize, type QuantType } from '../quant.js';
import { Rng } from '../random.js';
import { loadCpuBackend, type CpuBackend, type MatmulPath, type QuantPath } from './cpu.js';
import { refBackend } from './ref.js';
import { withEnv } from '../testing/env.js';

const loaded = loadCpuBackend();
const cpu: CpuBackend | null = 'backend' in loaded ? loaded.backend : null;
const skipReason = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const TYPES: readonly ('q8_0' | 'q4_0')[] = ['q8_0', 'q4_0'];

/** Runs fn with TOOLKEN_QUANT_PATH set to path (the addon reads it at every quantized call), restoring it after. */
function withQuantPath<T>(path: QuantPath, fn: () => T): T {
  return withEnv('TOOLKEN_QUANT_PATH', path, fn);
}

function uniformArray(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * rng.uniform() - 1);
}

/** Magnitudes spanning 2^-spread..2^spread with random signs. */
function wideArray(rng: Rng, n: number, spread: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (spread * (2 * rng.uniform() - 1)));
}

/** Weight blocks as an untrusted file may hold them: every byte random (Q8_0 values -128 included, padding past k
 * too, which multiplies zero activations), scales f16 in +-2^-10..2^4, some scales 0 over nonzero values. */
function randomBlocks(rng: Rng, type: QuantType, rows: number, cols: number): Uint8Array {
  const blockBytes = QUANT_FORMATS[type].bytes;
  const data = Uint8Array.from({ length: rows * Math.ceil(cols / QUANT_BLOCK) * blockBytes }, () => rng.int(256));
  for (let at = 0; at < data.length; at += blockBytes) {
    const scale = rng.uniform() < 0.1 ? 0 : (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (14 * rng.uniform() - 10);
    const bits = f32ToF16(scale);
    data[at] = bits & 0xff;
    data[at + 1] = bits >> 8;
  }
  return data;
}

/** out = before, then out (+)= x @ W^T on backend b, as a fresh host array. */
function runQuantized(b: Backend, x: Float32Array, w: Uint8Array, before: Float32Array, p: QuantizedMatmulParams): Float32Array {
  const out = b.upload(new Float32Array(before));
  b.quantizedMatmul(b.upload(new Float32Array(x)), w, out, p);
  return new Float32Array(b.download(out));
}

/** Q4_K super-blocks as a GGUF file may hold them: every scale, min and nibble byte random, d and dmin f16 in
 * +-2^-12..2^-2 (some 0). */
function randomQ4KBlocks(rng: Rng, rows: number, cols: number): Uint8Array {
  const data = Uint8Array.from({ length: rows * Math.ceil(cols / 256) * 144 }, () => rng.int(256));
  for (let at = 0; at < data.length; at += 144) {
    for (const offset of [0, 2]) {
      const bits = f32ToF16(rng.uniform() < 0.1 ? 0 : (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (10 * rng.uniform() - 12));
      data[at + offset] = bits & 0xff;
      data[at + offset + 1] = bits >> 8;
    }
  }
  return data;
}

/**
 * Worst error of the cpu backend's quantized matmul against ref (the exact product with the dequantized weight), in
 * units of the stated bound: activations quantized per block of 32 with scale d = max|x| / 127 are off by at most
 * d / 2 each (plus fp32 rounding of x / d), so an output may differ by sum_j |W_j| (0.5001 d_j + u (|x_j| + d_j))
 * with u = (blocks + 10) 2^-23 for the fp32 sums, plus |out before| 2^-23 when accumulating. <= 1 is within it.
 */
function boundRatio(x: Float32Array, w: Uint8Array, before: Float32Array, p: QuantizedMatmulParams): number {
  const { m, n, k, type } = p;
  const [got, want] = [cpu!, refBackend].map((b) => runQuantized(b, x, w, before, p)) as [Float32Array, Float32Array];
  const W = dequantize({ type, rows: n, cols: k, data: w });
  const blocks = Math.ceil(k / QUANT_BLOCK);
  const u = (blocks + 10) * 2 ** -23;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    const d = new Float64Array(blocks);
    for (let j = 0; j < k; j++) d[Math.floor(j / QUANT_BLOCK)] = Math.max(d[Math.floor(j / QUANT_BLOCK)]!, Math.abs(x[i * k + j]!) / 127);
    for (let r = 0; r < n; r++) {
      let bound = 2 ** -120 + (p.accumulate ? Math.abs(before[i * n + r]!) * 2 ** -23 : 0) + Math.abs(want[i * n + r]!) * 2 ** -24;
      for (let j = 0; j < k; j++) {
        const dj = d[Math.floor(j / QUANT_BLOCK)]!;
        bound += Math.abs(W[r * k + j]!) * (0.5001 * dj + u * (Math.abs(x[i * k + j]!) + dj));
      }
      const ratio = Math.abs(got[i * n + r]! - want[i * n + r]!) / bound;
      worst = Number.isNaN(ratio) ? Infinity : Math.max(worst, ratio);
    }
  }
  return worst;
}

// m = 1 is decode; k off the block (1, 31, 33, 1000) leaves a short last block; m off the 4-row tile.
const SHAPES = [[1, 1, 1], [1, 5, 31], [3, 7, 33], [1, 64, 576], [4, 9, 64], [5, 19, 1000], [37, 11, 96]] as const;
const QUANT_PATHS: readonly QuantPath[] = ['avx512-vnni', 'scalar'];

for (const path of QUANT_PATHS) {
  const unavailable = skipReason || (cpu!.features.quantPaths.includes(path) ? false : `this CPU cannot run the ${path} int8 path (it runs ${cpu!.features.quantPaths.join(', ')})`);
  for (const type of TYPES) {
    test(`cpu ${type} matmul (${path} path) matches the dequantized reference within the activation-quantization bound`, { skip: unavailable }, () => {
      withQuantPath(path, () => {
        assert.match(cpu!.describe(), new RegExp(`; int8 matmul ${path} \\(available: `));
        const rng = new Rng(type === 'q8_0' ? 8 : 4);
        for (const [m, n, k] of SHAPES) {
          const accumulate = (m + k) % 2 === 0;
          const p: QuantizedMatmulParams = { m, n, k, type, accumulate };
          const before = uniformArray(rng, m * n);
          const quantized = quantize(type, uniformArray(rng, n * k), n, k).data;
          const label = `${m}x${n}x${k}${accumulate ? ' accumulate' : ''}`;
          const uniform = boundRatio(uniformArray(rng, m * k), quantized, before, p);
          assert.ok(uniform <= 1, `${label}, uniform inputs: ${uniform} x the bound`);
          const wide = boundRatio(wideArray(rng, m * k, 60), quantize(type, wideArray(rng, n * k, 12), n, k).data, before, p);
          assert.ok(wide <= 1, `${label}, inputs spanning 2^-60..2^60, weights 2^-12..2^12: ${wide} x the bound`);
          const raw = boundRatio(uniformArray(rng, m * k), randomBlocks(rng, type, n, k), before, p);
          assert.ok(raw <= 1, `${label}, random block bytes (zero scales, Q8_0 -128): ${raw} x the bound`);
        }
      });
    });
  }

  test(`cpu q4_k matmul (${path} path) matches the dequantized reference within the activation-quantization bound`, { skip: unavailable }, () => {
    withQuantPath(path, () => {
      const rng = new Rng(12);
      // Rows of whole super-blocks (as GGUF files hold) and rows ending in a padded one.
      for (const [m, n, k] of [[1, 7, 256], [5, 9, 512], [3, 4, 300], [37, 3, 256]] as const) {
        const accumulate = m % 2 === 1;
        const p: QuantizedMatmulParams = { m, n, k, type: 'q4_k', accumulate };
        const label = `${m}x${n}x${k}${accumulate ? ' accumulate' : ''}`;
        const ratio = boundRatio(uniformArray(rng, m * k), randomQ4KBlocks(rng, n, k), uniformArray(rng, m * n), p);
        assert.ok(ratio <= 1, `${label}: ${ratio} x the bound`);
        const wide = boundRatio(wideArray(rng, m * k, 60), randomQ4KBlocks(rng, n, k), uniformArray(rng, m * n), p);
        assert.ok(wide <= 1, `${label}, inputs spanning 2^-60..2^60: ${wide} x the bound`);
      }
    });
  });

  test(`cpu quantized matmul (${path} path): zero activations and zero scales give exact zeros; m = 0 and n = 0 do nothing`, { skip: unavailable }, () => {
    withQuantPath(path, () => {
      const rng = new Rng(2);
      for (const type of TYPES) {
        const w = randomBlocks(rng, type, 6, 70);
        const x = uniformArray(rng, 2 * 70);
        x.fill(0, 0, 70); // row 0 all zero
        x.fill(0, 70 + 32, 70 + 64); // row 1: its middle block zero
        const out = new Float32Array(12).fill(5);
        cpu!.quantizedMatmul(x, w, out, { m: 2, n: 6, k: 70, type });
        assert.deepEqual([...out.subarray(0, 6)], [0, 0, 0, 0, 0, 0], `${type}: a zero row`);
        const zeroScales = new Uint8Array(w);
        for (let at = 0; at < zeroScales.length; at += QUANT_FORMATS[type].bytes) zeroScales[at] = zeroScales[at + 1] = 0;
        cpu!.quantizedMatmul(x, zeroScales, out, { m: 2, n: 6, k: 70, type });
        assert.ok(out.every((v) => v === 0), `${type}: all scales 0`);
        const untouched = new Float32Array([7]);
        cpu!.quantizedMatmul(new Float32Array(0), w, untouched, { m: 0, n: 6, k: 70, type });
        cpu!.quantizedMatmul(x, w, untouched, { m: 2, n: 0, k: 70, type, accumulate: true });
        assert.deepEqual([...untouched], [7]);
      }
    });
  });
}

test('cpu quantized matmul gives identical results for 1 and 2 threads and repeated calls', { skip: skipReason }, () => {
  const rng = new Rng(5);
  const w = quantize('q4_0', uniformArray(rng, 300 * 160), 300, 160).data;
  const x = uniformArray(rng, 9 * 160);
  const run = (): Float32Array => {
    const out = new Float32Array(9 * 300);
    cpu!.quantizedMatmul(x, w, out, { m: 9, n: 300, k: 160, type: 'q4_0' });
    return out;
  };
  const threads = cpu!.threads;
  try {
    cpu!.setThreads(1);
    const one = run();
    cpu!.setThreads(2);
    assert.deepEqual(run(), one);
    assert.deepEqual(run(), one);
  } finally {
    cpu!.setThreads(threads);
  }
});

test('cpu quantized matmul refuses weight bytes short of the shape and unknown types, naming the argument', { skip: skipReason }, () => {
  const x = new Float32Array(2 * 64);
  const out = new Float32Array(2 * 3);
  assert.throws(() => cpu!.quantizedMatmul(x, new Uint8Array(3 * 2 * 18 - 1), out, { m: 2, n: 3, k: 64, type: 'q4_0' }),
    /cpu\.quantizedMatmul: w has 107 elements but 108 are needed \(m 2, n 3, k 64, 36 bytes per row\)/);
  assert.throws(() => cpu!.quantizedMatmul(x, new Uint8Array(204), out, { m: 2, n: 3, k: 64, type: 'q5_0' as QuantType }),
    /type must be one of q8_0, q4_0, bf16, nf4, q4_k, got q5_0/);
  assert.throws(() => refBackend.quantizedMatmul(x, new Uint8Array(107), out, { m: 2, n: 3, k: 64, type: 'q4_0' }), /w has 107 bytes but a q4_0 \(3, 64\) weight takes 108/);
});

test('TOOLKEN_QUANT_PATH naming a path this CPU cannot run falls back to the best one it can', { skip: skipReason }, () => {
  const paths = cpu!.features.quantPaths;
  assert.equal(paths.at(-1), 'scalar', 'scalar is always available');
  const missing = QUANT_PATHS.find((p) => !paths.includes(p));
  if (missing !== undefined) withQuantPath(missing, () => assert.match(cpu!.describe(), new RegExp(`; int8 matmul ${paths[0]} `)));
  withQuantPath('scalar', () => assert.match(cpu!.describe(), /; int8 matmul scalar /));
});

// ---- bf16 and NF4 weights: fp32 sums of exact products, so only the order of the sums differs from ref ----

/** Runs fn with TOOLKEN_MATMUL_PATH set to path (read at every call, the bf16-weight kernel's choice too). */
function withMatmulPath<T>(path: MatmulPath, fn: () => T): T {
  return withEnv('TOOLKEN_MATMUL_PATH', path, fn);
}

/**
 * Worst |cpu - ref| in units of the fp32-summation bound (k + 8) 2^-24 sum_l |x_l W_l| (x bf16-rounded for bf16
 * weights, as both backends round it), plus |out before| 2^-23 when accumulating; <= 1 is within it.
 */
function sumBoundRatio(x: Float32Array, w: Uint8Array, before: Float32Array, p: QuantizedMatmulParams): number {
  const { m, n, k, type } = p;
  const [got, want] = [cpu!, refBackend].map((b) => runQuantized(b, x, w, before, p)) as [Float32Array, Float32Array];
  const W = dequantize({ type, rows: n, cols: k, data: w });
  const X = type === 'bf16' ? bf16Rounded(x) : x;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let r = 0; r < n; r++) {
      let magnitude = 0;
      for (let l = 0; l < k; l++) magnitude += Math.abs(X[i * k + l]! * W[r * k + l]!);
      const bound = 2 ** -140 + (k + 8) * 2 ** -24 * magnitude + (p.accumulate ? Math.abs(before[i * n + r]!) * 2 ** -23 : 0);
      const ratio = Math.abs(got[i * n + r]! - want[i * n + r]!) / bound;
      worst = Number.isNaN(ratio) ? Infinity : Math.max(worst, ratio);
    }
  }
  return worst;
}

// k off the 32-value bf16 chunk and the 64-value NF4 block (1, 31, 33, 95, 1000), m and n off the 4 x 4 tiles, and
// m past the 64-row activation panel.
const FLOAT_SHAPES = [[1, 1, 1], [1, 5, 31], [3, 7, 33], [1, 64, 576], [4, 9, 64], [5, 19, 1000], [70, 11, 95], [2, 130, 40]] as const;
const BF16_PATHS: readonly MatmulPath[] = ['avx512-bf16', 'fp32'];

/** Every FLOAT_SHAPES case, uniform and wide-range inputs and weights, accumulating on every other shape. */
function checkWithinSumBound(type: 'bf16' | 'nf4', rng: Rng): void {
  for (const [m, n, k] of FLOAT_SHAPES) {
    const accumulate = (m + k) % 2 === 0;
    const p: QuantizedMatmulParams = { m, n, k, type, accumulate };
    const before = uniformArray(rng, m * n);
    const label = `${m}x${n}x${k}${accumulate ? ' accumulate' : ''}`;
    const uniform = sumBoundRatio(uniformArray(rng, m * k), quantize(type, uniformArray(rng, n * k), n, k).data, before, p);
    assert.ok(uniform <= 1, `${label}, uniform inputs: ${uniform} x the bound`);
    const wide = sumBoundRatio(wideArray(rng, m * k, 50), quantize(type, wideArray(rng, n * k, 50), n, k).data, before, p);
    assert.ok(wide <= 1, `${label}, inputs and weights spanning 2^-50..2^50: ${wide} x the bound`);
  }
}

for (const path of BF16_PATHS) {
  const unavailable = skipReason || (cpu!.features.matmulPaths.includes(path) ? false : `this CPU cannot run the ${path} bf16 path (it runs ${cpu!.features.matmulPaths.join(', ')})`);
  test(`cpu bf16-weight matmul (${path} path) matches ref (bf16-rounded x, exact products) within fp32 summation on odd shapes and wide ranges`, { skip: unavailable }, () => {
    withMatmulPath(path, () => {
      assert.match(cpu!.describe(), new RegExp(`; bf16 weights ${path};`));
      checkWithinSumBound('bf16', new Rng(16));
    });
  });

  test(`cpu bf16-weight matmul (${path} path) rounds x to bf16 (nearest even) and is exact on small integers`, { skip: unavailable }, () => {
    withMatmulPath(path, () => {
      // 1 + 2^-8 is a tie (to 1), 1 + 3 * 2^-8 a tie up to 1 + 2^-6, 1 + 2^-8 + 2^-20 past the tie (up to 1 + 2^-7).
      const x = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, -3]);
      const out = new Float32Array(4);
      cpu!.quantizedMatmul(x, quantize('bf16', new Float32Array([1]), 1, 1).data, out, { m: 4, n: 1, k: 1, type: 'bf16' });
      assert.deepEqual([...out], [1, 1 + 2 ** -6, 1 + 2 ** -7, -3]);
      // Integers below 2^8 are bf16 values and their sums stay below 2^24: every path must give ref's sums exactly,
      // which a lost tail lane or a row read from the wrong place would break.
      const rng = new Rng(17);
      for (const [m, n, k] of FLOAT_SHAPES) {
        const ints = (count: number): Float32Array => Float32Array.from({ length: count }, () => rng.int(255) - 127);
        const xs = ints(m * k), w = quantize('bf16', ints(n * k), n, k).data;
        const got = new Float32Array(m * n), want = new Float32Array(m * n);
        cpu!.quantizedMatmul(xs, w, got, { m, n, k, type: 'bf16' });
        refBackend.quantizedMatmul(xs, w, want, { m, n, k, type: 'bf16' });
        assert.deepEqual(got, want, `${m}x${n}x${k}`);
      }
    });
  });
}

test('cpu NF4-weight matmul matches ref (the fp32 dequantized weight, fp32 x) within fp32 summation; the code book values exactly', { skip: skipReason }, () => {
  assert.match(cpu!.describe(), /; nf4 weights (avx512|scalar)/);
  checkWithinSumBound('nf4', new Rng(18));
  // One block whose absmax is 1 holds each code once (index j at element j, j + 16, j + 32, j + 48): a one-hot x
  // reads back each weight, NF4_CODE[j % 16], exactly.
  const block = new Uint8Array(36);
  new DataView(block.buffer).setFloat32(0, 1, true);
  for (let j = 0; j < 32; j++) block[4 + j] = (j % 16) | ((j % 16) << 4);
  const eye = new Float32Array(64 * 64);
  for (let i = 0; i < 64; i++) eye[i * 64 + i] = 1;
  const out = new Float32Array(64);
  cpu!.quantizedMatmul(eye, block, out, { m: 64, n: 1, k: 64, type: 'nf4' });
  assert.deepEqual([...out], Array.from({ length: 64 }, (_, i) => NF4_CODE[i % 16]!));
});
