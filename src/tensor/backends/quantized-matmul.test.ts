import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { QuantizedMatmulParams } from '../backend.js';
import { f32ToF16 } from '../f16.js';
import { QUANT_BLOCK, QUANT_BLOCK_BYTES, dequantize, quantize, type QuantType } from '../quant.js';
import { Rng } from '../random.js';
import { loadCpuBackend, type CpuBackend, type QuantPath } from './cpu.js';
import { refBackend } from './ref.js';

const loaded = loadCpuBackend();
const cpu: CpuBackend | null = 'backend' in loaded ? loaded.backend : null;
const skipReason = 'error' in loaded ? `native addon not built: ${loaded.error}` : false;
const TYPES: readonly QuantType[] = ['q8_0', 'q4_0'];

/** Runs fn with TOOLKEN_QUANT_PATH set to path (the addon reads it at every quantized call), restoring it after. */
function withQuantPath<T>(path: QuantPath, fn: () => T): T {
  const before = process.env.TOOLKEN_QUANT_PATH;
  process.env.TOOLKEN_QUANT_PATH = path;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.TOOLKEN_QUANT_PATH;
    else process.env.TOOLKEN_QUANT_PATH = before;
  }
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
  const blockBytes = QUANT_BLOCK_BYTES[type];
  const data = Uint8Array.from({ length: rows * Math.ceil(cols / QUANT_BLOCK) * blockBytes }, () => rng.int(256));
  for (let at = 0; at < data.length; at += blockBytes) {
    const scale = rng.uniform() < 0.1 ? 0 : (rng.uniform() < 0.5 ? -1 : 1) * 2 ** (14 * rng.uniform() - 10);
    const bits = f32ToF16(scale);
    data[at] = bits & 0xff;
    data[at + 1] = bits >> 8;
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
  const run = (b: typeof refBackend): Float32Array => {
    const out = b.upload(new Float32Array(before));
    b.quantizedMatmul(b.upload(new Float32Array(x)), w, out, p);
    return new Float32Array(b.download(out));
  };
  const got = run(cpu!), want = run(refBackend);
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
        for (let at = 0; at < zeroScales.length; at += QUANT_BLOCK_BYTES[type]) zeroScales[at] = zeroScales[at + 1] = 0;
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
    /cpu\.quantizedMatmul: w has 107 elements but 108 are needed \(m 2, n 3, k 64, 2 blocks per row\)/);
  assert.throws(() => cpu!.quantizedMatmul(x, new Uint8Array(204), out, { m: 2, n: 3, k: 64, type: 'q5_0' as QuantType }),
    /type must be one of q8_0, q4_0, got q5_0/);
  assert.throws(() => refBackend.quantizedMatmul(x, new Uint8Array(107), out, { m: 2, n: 3, k: 64, type: 'q4_0' }), /w has 107 bytes but a q4_0 \(3, 64\) weight takes 108/);
});

test('TOOLKEN_QUANT_PATH naming a path this CPU cannot run falls back to the best one it can', { skip: skipReason }, () => {
  const paths = cpu!.features.quantPaths;
  assert.equal(paths.at(-1), 'scalar', 'scalar is always available');
  const missing = QUANT_PATHS.find((p) => !paths.includes(p));
  if (missing !== undefined) withQuantPath(missing, () => assert.match(cpu!.describe(), new RegExp(`; int8 matmul ${paths[0]} `)));
  withQuantPath('scalar', () => assert.match(cpu!.describe(), /; int8 matmul scalar /));
});
