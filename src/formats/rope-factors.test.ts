import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitLlama3Scaling, llama3RopeFactors } from './rope-factors.js';

// Llama 3.1's published rope_scaling.
const llama31 = { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };

test("Llama 3.1's rope factors: 1 at high frequencies, 8 at low ones, a ramp between", () => {
  const factors = llama3RopeFactors(128, 500000, llama31);
  assert.equal(factors.length, 64);
  assert.equal(factors[0], 1);
  assert.ok(Math.abs(factors[63]! - 8) < 1e-5);
  assert.ok(factors.some((f) => f > 1.01 && f < 7.99), 'some pairs sit on the ramp');
  for (let i = 1; i < factors.length; i++) assert.ok(factors[i]! >= factors[i - 1]! - 1e-6, 'non-decreasing with wavelength');
});

test('fitting the factors recovers the Hugging Face parameters (scaled by the assumed original context)', () => {
  const factors = llama3RopeFactors(128, 500000, llama31);
  const fitted = fitLlama3Scaling(factors, 128, 500000);
  assert.ok(fitted);
  assert.equal(fitted.rope_type, 'llama3');
  assert.equal(fitted.original_max_position_embeddings, 8192);
  for (const [key, want] of [['factor', 8], ['low_freq_factor', 1], ['high_freq_factor', 4]] as const) {
    assert.ok(Math.abs(Number(fitted[key]) - want) < 1e-3 * want, `${key} ${fitted[key]}`);
  }
  // Only the wavelength thresholds are fixed: another original context scales low/high and gives the same factors.
  const other = fitLlama3Scaling(factors, 128, 500000, 4096);
  assert.ok(other);
  assert.ok(Math.abs(Number(other.low_freq_factor) - 0.5) < 1e-3 && Math.abs(Number(other.high_freq_factor) - 2) < 1e-3);
});

test('no scaling (all factors 1) fits as null; factors of another shape do not fit', () => {
  assert.equal(fitLlama3Scaling(new Float32Array(64).fill(1), 128, 500000), null);
  assert.equal(fitLlama3Scaling(Float32Array.from({ length: 64 }, (_, i) => 8 - i / 10), 128, 500000), undefined, 'decreasing');
  assert.equal(fitLlama3Scaling(new Float32Array(10).fill(2), 128, 500000), undefined, 'wrong length');
  assert.equal(fitLlama3Scaling(Float32Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 1 : 3)), 128, 500000), undefined, 'not a ramp');
});
