import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend } from '../backend.js';
import { refBackend } from '../backends/ref.js';
import { assertConformance, checkConformance } from './conformance.js';

test('the reference backend conforms to itself with zero error on every kernel case', () => {
  const results = checkConformance(refBackend);
  assert.ok(results.length > 50);
  for (const r of results) assert.equal(r.maxError, 0, `${r.kernel} (${r.label})`);
});

test('every kernel of the interface is exercised', () => {
  const kernels = new Set(checkConformance(refBackend).map((r) => r.kernel));
  for (const k of [
    'memory', 'matmul', 'binary', 'unary', 'unaryBackward', 'axpby', 'sumOuter', 'sumRows', 'sumSquares', 'swiglu',
    'swigluBackward', 'rmsnorm', 'layernorm', 'softmax', 'embedding', 'rope', 'attention', 'linearCrossEntropy', 'adamw',
  ]) {
    assert.ok(kernels.has(k), k);
  }
});

test('a backend whose matmul ignores accumulate is reported, naming the kernel case', () => {
  const broken: Backend = { ...refBackend, name: 'broken', matmul: (a, b, out, p) => refBackend.matmul(a, b, out, { ...p, accumulate: false }) };
  const failing = checkConformance(broken).filter((r) => !r.ok);
  assert.deepEqual(
    failing.map((r) => r.label),
    ['A B (33x47)@(47x65) alpha=0.5 accumulate', 'A transB (33x47)@(47x65) alpha=0.5 accumulate',
      'transA B (33x47)@(47x65) alpha=0.5 accumulate', 'transA transB (33x47)@(47x65) alpha=0.5 accumulate',
      'bf16 B (33x47)@(47x65) alpha=0.5 accumulate', 'bf16 transB (33x47)@(47x65) alpha=0.5 accumulate'],
  );
  assert.throws(() => assertConformance(broken), /backend broken disagrees with ref on 6 kernel case\(s\):\n  matmul \(A B \(33x47\)/);
});

test('a kernel that produces NaN fails instead of passing silently', () => {
  const nan: Backend = { ...refBackend, name: 'nan', sumSquares: () => Number.NaN };
  const result = checkConformance(nan).find((r) => r.kernel === 'sumSquares');
  assert.equal(result?.ok, false);
  assert.equal(result?.maxError, Infinity);
});

test('a backend whose bf16 matmul does not round its inputs is reported on the bf16 cases only', () => {
  const unrounded: Backend = { ...refBackend, name: 'unrounded', matmul: (a, b, out, p) => refBackend.matmul(a, b, out, { ...p, precision: 'fp32' }) };
  const failing = checkConformance(unrounded).filter((r) => !r.ok).map((r) => r.label);
  assert.ok(failing.length > 0 && failing.every((label) => label.startsWith('bf16 ')), failing.join('; '));
});
