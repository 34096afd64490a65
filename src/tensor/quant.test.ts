import { test } from 'node:test';
import assert from 'node:assert/strict';
import { f16ToF32, f32ToF16 } from './f16.js';
import { dequantize, dequantizeRows, QUANT_BLOCK_BYTES, quantize, quantizedByteLength } from './quant.js';
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
      const at = Math.floor(i / 32) * QUANT_BLOCK_BYTES[type];
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
    assert.equal(q.data.length, 2 * 2 * QUANT_BLOCK_BYTES[type]);
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
