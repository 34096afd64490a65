import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bf16Rounded, roundToBf16 } from './bf16.js';

test('roundToBf16 keeps 8 significant bits and rounds ties to even', () => {
  assert.equal(roundToBf16(1), 1);
  assert.equal(roundToBf16(1 + 2 ** -7), 1 + 2 ** -7, 'representable: 7 mantissa bits');
  assert.equal(roundToBf16(1 + 2 ** -9), 1, 'below half an ulp rounds down');
  assert.equal(roundToBf16(1 + 2 ** -8), 1, 'a tie rounds to the even neighbour (down)');
  assert.equal(roundToBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6, 'a tie rounds to the even neighbour (up)');
  assert.equal(roundToBf16(1 + 2 ** -8 + 2 ** -20), 1 + 2 ** -7, 'above half an ulp rounds up');
  assert.equal(roundToBf16(-(1 + 3 * 2 ** -8)), -(1 + 2 ** -6), 'the sign is kept');
});

test('roundToBf16 keeps special values, subnormals and the fp32 range', () => {
  assert.ok(Number.isNaN(roundToBf16(Number.NaN)));
  assert.equal(roundToBf16(Infinity), Infinity);
  assert.equal(roundToBf16(-Infinity), -Infinity);
  assert.equal(roundToBf16(2 ** -130), 2 ** -130, 'a subnormal with few bits is exact, not flushed');
  assert.equal(roundToBf16(3.4e38), Infinity, 'beyond the largest bf16 rounds to infinity');
  assert.equal(Object.is(roundToBf16(-0), -0), true);
});

test('bf16Rounded rounds every element into a copy', () => {
  const x = new Float32Array([1 + 2 ** -9, 3, -(1 + 3 * 2 ** -8)]);
  assert.deepEqual(Array.from(bf16Rounded(x)), [1, 3, -(1 + 2 ** -6)]);
  assert.equal(x[0], Math.fround(1 + 2 ** -9), 'the input is unchanged');
});
