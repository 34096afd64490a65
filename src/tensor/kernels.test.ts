import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_NAMES, wireArguments, wireSignature, wireTable } from './kernels.js';

test('kernel table: a params object crosses field by field, in table order, with omitted fields at their defaults', () => {
  const a = new Float32Array(6);
  const b = new Float32Array(6);
  const out = new Float32Array(4);
  const wire = wireArguments('matmul', 'cpu')([a, b, out, { batch: 1, m: 2, n: 2, k: 3, transA: false, transB: true }]);
  assert.deepEqual(wire, [a, b, out, 1, 2, 2, 3, false, true, 6, 6, 1, false, 0]);
  const given = wireArguments('matmul', 'cpu')([a, b, out, { batch: 2, m: 2, n: 2, k: 3, transA: true, transB: false, strideA: 0, alpha: 0.5, accumulate: true, precision: 'bf16' }]);
  assert.deepEqual(given.slice(9), [0, 6, 0.5, true, 1], 'precision crosses as its code (fp32 0, bf16 1)');
});

test('kernel table: op names become their codes, and an unknown op is an error naming the kernel and the choices', () => {
  const x = new Float32Array(2);
  assert.equal(wireArguments('binary', 'cpu')(['div', x, x, x, 2, 2])[0], 3);
  assert.equal(wireArguments('unary', 'cpu')(['sigmoid', x, x, 2])[0], 10);
  assert.throws(() => wireArguments('binary', 'cpu')(['pow', x, x, x, 2, 2]), {
    message: 'cpu.binary: op must be one of add, sub, mul, div, got pow',
  });
});

test('kernel table: nested fields, optional arrays and defaults that depend on other fields (linear cross-entropy)', () => {
  const f = new Float32Array(1);
  const ids = new Int32Array(1);
  const forward = wireArguments('linearCrossEntropy', 'cpu');
  const base = { rows: 1, dim: 1, vocab: 7, ignoreIndex: -100, chunk: 4 };
  // Smoothing over the whole vocabulary by default; absent optional arrays cross as null; fp32 GEMMs (code 0).
  assert.deepEqual(forward([f, f, ids, f, base]).slice(4), [1, 1, 7, -100, 4, null, null, 0, 0, 7, null, null, null, 0]);
  assert.equal(forward([f, f, ids, f, { ...base, precision: 'bf16' }]).at(-1), 1);
  const rowScales = new Float32Array(1);
  const smoothed = forward([f, f, ids, f, { ...base, labelSmoothing: 0.1, smoothingClasses: { start: 3, end: 5 }, rowScales }]);
  assert.deepEqual(smoothed.slice(11), [0.1, 3, 5, null, null, rowScales, 0]);
});

test('kernel table: a top-level default sees the earlier arguments (fill covers the rest of out by default)', () => {
  const out = new Float32Array(10);
  const fill = wireArguments('fill', 'cpu');
  assert.deepEqual(fill([out, 2]), [out, 2, 0, 10]);
  assert.deepEqual(fill([out, 2, 4]), [out, 2, 4, 6]);
  assert.deepEqual(fill([out, 2, 4, 3]), [out, 2, 4, 3]);
});

test('kernel table: the wire signature names every argument and its kind, and the bind table covers every kernel', () => {
  assert.deepEqual(wireSignature('rope'), [
    ['x', 'f32'], ['out', 'f32'], ['batch', 'count'], ['heads', 'count'], ['t', 'count'], ['headDim', 'count'],
    ['startPosition', 'count'], ['invFreq', 'f32'], ['positions', 'i32?'], ['inverse', 'bool'],
  ]);
  assert.equal(wireSignature('linearCrossEntropyBackward').length, 21);
  const table = wireTable();
  assert.deepEqual(table.map(([name]) => name), KERNEL_NAMES);
  assert.deepEqual(table.find(([name]) => name === 'sumSquares'), ['sumSquares', [['x', 'f32'], ['size', 'count']], 'number']);
  for (const name of KERNEL_NAMES) {
    const wire = wireSignature(name);
    assert.equal(new Set(wire.map(([arg]) => arg)).size, wire.length, `${name} names each argument once`);
  }
});
