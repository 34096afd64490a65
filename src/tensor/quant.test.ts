import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ToF32, f32ToF16 } from './f16.js';
import { bf16Rounded } from './bf16.js';
import { dequantize, dequantizeRows, NF4_CODE, QUANT_FORMATS, quantize, quantizedByteLength } from './quant.js';
import { Rng } from './random.js';

function block(values: number[]): Float32Array {
  const x = new Float32Array(32);
  x.set(values);
  return x;
}

test('Q8_0 stores an f16 scale max|x| / 127 and 32 rounded int8 values, as llama.cpp lays the block out', () => {
  const q = quantize('q8_0', block([63.5, -63.5, 0.5, 0.25, 0.75]), 1, 32);
  assert.equal(q.data.length, 34);
  // d = 63.5 / 127 = 0.5 (f16 0x3800, little-endian); 0.25 / 0.5 = 0.5 and 0.75 / 0.5 = 1.5 round away from zero.
  assert.deepEqual([...q.data.subarray(0, 7)], [0x00, 0x38, 127, 0x81, 1, 1, 2]);
  assert.deepEqual([...q.data.subarray(7)], new Array<number>(27).fill(0));
});

test('Q4_0 stores d = -peak / 8 and 4-bit q = x / d + 8 (low nibbles: elements 0..15, high: 16..31), clipped at 15', () => {
  const x = block([-8, 7, 1]);
  x[16] = 3;
  x[17] = 8; // the opposite extreme: 8 / d + 8 = 16, clipped to 15
  const q = quantize('q4_0', x, 1, 32);
  assert.equal(q.data.length, 18);
  assert.equal(q.data[0]! | (q.data[1]! << 8), f32ToF16(1));
  assert.deepEqual([...q.data.subarray(2, 5)], [0 | (11 << 4), 15 | (15 << 4), 9 | (8 << 4)]);
  assert.deepEqual([...dequantize(q).subarray(0, 18)], [-8, 7, 1, ...new Array<number>(13).fill(0), 3, 7]);
});

test('dequantize(quantize(x)) is within half a step of x (Q4_0: a step where the opposite extreme clips)', () => {
  const rng = new Rng(3);
  const rows = 5, cols = 96;
  const x = Float32Array.from({ length: rows * cols }, () => (rng.uniform() * 2 - 1) * 2 ** (rng.int(20) - 10));
  for (const type of ['q8_0', 'q4_0'] as const) {
    const q = quantize(type, x, rows, cols);
    assert.equal(q.data.length, quantizedByteLength(type, rows, cols));
    const back = dequantize(q);
    for (let i = 0; i < x.length; i++) {
      const at = Math.floor(i / 32) * QUANT_FORMATS[type].bytes;
      const d = Math.abs(f16ToF32(q.data[at]! | (q.data[at + 1]! << 8)));
      const limit = type === 'q8_0' ? d / 2 : d;
      assert.ok(Math.abs(back[i]! - x[i]!) <= limit * (1 + 2 ** -10) + 2 ** -24 * 64, `${type} element ${i}: ${x[i]} -> ${back[i]} (d ${d})`);
    }
  }
});

test('rows not a multiple of 32 end in a zero-padded block that dequantize drops', () => {
  const x = Float32Array.from({ length: 2 * 33 }, (_, i) => (i % 7) - 3);
  for (const type of ['q8_0', 'q4_0'] as const) {
    const q = quantize(type, x, 2, 33);
    assert.equal(q.data.length, 2 * 2 * QUANT_FORMATS[type].bytes);
    const back = dequantize(q);
    assert.equal(back.length, 66);
    assert.ok(back.every((v, i) => Math.abs(v - x[i]!) <= 0.5), type);
  }
});

test('an all-zero block has scale 0 and dequantizes to zeros', () => {
  const q8 = quantize('q8_0', new Float32Array(32), 1, 32);
  assert.ok(q8.data.every((b) => b === 0));
  const q4 = quantize('q4_0', new Float32Array(32), 1, 32);
  // Q4_0's d = -0 / 8 is -0 (f16 0x8000), as in llama.cpp; q = 0 / d + 8 = 8 in both nibbles.
  assert.deepEqual([...q4.data], [0x00, 0x80, ...new Array<number>(16).fill(0x88)]);
  assert.ok(dequantize(q4).every((v) => v === 0));
});

test('values whose block scale overflows f16 are refused, naming the row and block; wrong byte counts too', () => {
  const x = new Float32Array(64);
  x[40] = 1e7; // d = 1e7 / 127 > 65504
  assert.throws(() => quantize('q8_0', x, 1, 64), /q8_0: row 0, block 1 holds 10000000, beyond what an f16 block scale can represent/);
  assert.throws(() => quantize('q8_0', x, 2, 64), /do not fill \(2, 64\)/);
  assert.throws(() => dequantize({ type: 'q4_0', rows: 2, cols: 32, data: new Uint8Array(18) }), /takes 36 bytes, got 18/);
});

test('dequantizeRows gives a panel of the dequantized matrix and refuses rows outside it', () => {
  const values = Float32Array.from({ length: 7 * 45 }, (_, i) => Math.sin(i) * 3);
  for (const type of ['q8_0', 'q4_0'] as const) {
    const m = quantize(type, values, 7, 45);
    assert.deepEqual(dequantizeRows(m, 2, 4), dequantize(m).slice(2 * 45, 6 * 45));
    assert.equal(dequantizeRows(m, 7, 0).length, 0);
    assert.throws(() => dequantizeRows(m, 5, 3), /rows 5 \.\. 7 are outside the .* \(7, 45\) matrix/);
  }
});

test('bf16 keeps each value rounded to bfloat16 (nearest even), 2 bytes little-endian, and dequantizes to it', () => {
  const x = new Float32Array([1 + 2 ** -8, 1 + 3 * 2 ** -8, -2.5e-39, 3e38, -0, Infinity]);
  const q = quantize('bf16', x, 2, 3);
  assert.equal(q.data.length, 12);
  assert.deepEqual([...q.data.subarray(0, 4)], [0x80, 0x3f, 0x82, 0x3f]); // 1.0 = 0x3f80, 1 + 2^-6 = 0x3f82
  assert.deepEqual([...dequantize(q)], [...bf16Rounded(x)]);
  assert.ok(Number.isNaN(dequantize(quantize('bf16', new Float32Array([NaN]), 1, 1))[0]));
  assert.deepEqual(dequantizeRows(q, 1, 1), bf16Rounded(x).slice(3));
});

/** The standard normal's quantile function, by bisection on its CDF summed as a Taylor series in float64 (which
 * converges for |x| < 4, the range NF4's probabilities need). */
function normalQuantile(p: number): number {
  // The CDF by its Taylor series around 0 (converges for every |x| < 4, enough here), summed in float64.
  const cdf = (x: number): number => {
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / 2 / n;
      sum += term / (2 * n + 1);
    }
    return 0.5 + sum / Math.sqrt(2 * Math.PI);
  };
  let lo = -4, hi = 4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

test('NF4_CODE is QLoRA\'s NormalFloat: normal quantiles at evenly spaced probabilities, an exact zero, scaled to [-1, 1]', () => {
  // QLoRA (and bitsandbytes' create_normal_map): offset = (1 - 1/(2*15) + 1 - 1/(2*16)) / 2; 8 positive quantiles
  // at 9 probabilities from offset down to 0.5 (the 0.5 dropped), 7 negative ones at 8 such probabilities, and 0.
  const offset = 0.9677083;
  const spaced = (count: number): number[] => Array.from({ length: count }, (_, i) => offset + (0.5 - offset) * i / (count - 1)).slice(0, -1);
  const positive = spaced(9).map(normalQuantile);
  const negative = spaced(8).map((p) => -normalQuantile(p));
  const values = [...positive, 0, ...negative].sort((a, b) => a - b);
  const top = Math.max(...values);
  assert.equal(NF4_CODE.length, 16);
  NF4_CODE.forEach((v, i) => {
    assert.ok(Math.abs(v - values[i]! / top) < 2e-7, `code ${i}: ${v} against ${values[i]! / top}`);
    assert.equal(Math.fround(v), v, `code ${i} is a float32`);
  });
  assert.deepEqual([NF4_CODE[0], NF4_CODE[7], NF4_CODE[15]], [-1, 0, 1]);
});

test('NF4 stores an fp32 absmax, then 4-bit indices of the nearest code to x / absmax (low nibbles 0..31, high 32..63)', () => {
  const x = new Float32Array(64);
  x[0] = -2; // the absmax: x / c = -1, code 0
  x[1] = 2 * 0.5626170039176941; // code 13 exactly
  x[32] = 0.16; // 0.08: nearest 0.0796 (code 8)
  x[33] = 2 * ((0.0 + 0.07958029955625534) / 2); // the midpoint of codes 7 and 8 in fp32: the lower (7)
  const q = quantize('nf4', x, 1, 64);
  assert.equal(q.data.length, 36);
  assert.equal(new DataView(q.data.buffer).getFloat32(0, true), 2);
  assert.deepEqual([...q.data.subarray(4, 7)], [0 | (8 << 4), 13 | (7 << 4), 7 | (7 << 4)]);
  const back = dequantize(q);
  assert.deepEqual([back[0], back[1], back[32], back[33], back[2]], [-2, Math.fround(2 * 0.5626170039176941), Math.fround(2 * 0.07958029955625534), 0, 0]);
});

test('NF4 round trip: every value is at most half the widest code gap times its absmax away; codes and zero blocks are exact', () => {
  const rng = new Rng(7);
  const rows = 3, cols = 200; // 4 blocks a row, the last holding 8 values
  const x = Float32Array.from({ length: rows * cols }, () => rng.normal() * 2 ** (rng.int(16) - 8));
  const q = quantize('nf4', x, rows, cols);
  assert.equal(q.data.length, rows * 4 * 36);
  const back = dequantize(q);
  const gap = Math.max(...NF4_CODE.slice(1).map((v, i) => v - NF4_CODE[i]!));
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const begin = r * cols + Math.floor(j / 64) * 64;
      const c = Math.max(...[...x.subarray(begin, Math.min(begin + 64, (r + 1) * cols))].map(Math.abs));
      const i = r * cols + j;
      assert.ok(Math.abs(back[i]! - x[i]!) <= (c * gap) / 2 * (1 + 1e-6), `element ${i}: ${x[i]} -> ${back[i]}`);
      // The block's values quantize to the nearest code: no code is closer to x / c than the chosen one.
      const chosen = Math.abs(back[i]! / c - x[i]! / c);
      assert.ok(NF4_CODE.every((v) => Math.abs(v - x[i]! / c) >= chosen - 1e-6), `element ${i} took the nearest code`);
    }
  }
  const codes = Float32Array.from({ length: 64 }, (_, i) => NF4_CODE[i % 16]! * 3);
  assert.deepEqual(dequantize(quantize('nf4', codes, 1, 64)), codes);
  assert.ok(dequantize(quantize('nf4', new Float32Array(70), 1, 70)).every((v) => v === 0));
  assert.throws(() => quantize('nf4', new Float32Array([1, Infinity]), 1, 2), /nf4: row 0, block 0 holds Infinity, which has no absmax scale/);
});

test('Q4_K dequantizes sub-block by sub-block, x = d * scale * q - dmin * min; a short last super-block keeps its first values', () => {
  // One super-block with d = 1, dmin = 2, sub-block 0 scale 3 min 1, sub-block 1 scale 5 min 0 (the rest 0): the
  // first 32 bytes of q hold sub-block 0 in their low nibbles and sub-block 1 in their high nibbles.
  const block = new Uint8Array(144);
  block.set([0x00, 0x3c, 0x00, 0x40], 0); // f16 1.0, 2.0
  block[4] = 3;
  block[5] = 5;
  block[8] = 1;
  for (let l = 0; l < 32; l++) block[16 + l] = (l % 16) | (((l + 1) % 16) << 4);
  const full = dequantize({ type: 'q4_k', rows: 1, cols: 256, data: block });
  const want = new Float32Array(256);
  for (let l = 0; l < 32; l++) {
    want[l] = 3 * (l % 16) - 2;
    want[32 + l] = 5 * ((l + 1) % 16);
  }
  assert.deepEqual(full, want);
  const twoRows = new Uint8Array(288);
  twoRows.set(block, 144);
  const short = { type: 'q4_k' as const, rows: 2, cols: 40, data: twoRows };
  assert.equal(quantizedByteLength('q4_k', 2, 40), 288);
  assert.deepEqual(dequantizeRows(short, 1, 1), want.slice(0, 40));
});
