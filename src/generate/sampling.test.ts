import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Sampler, applyRepetitionPenalty, argmax } from './sampling.js';

const logits = () => Float32Array.from([1, 3, 2, 0, -1]);

function histogram(sampler: Sampler, draws: number): number[] {
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits())]!++;
  return counts;
}

test('argmax returns the first index of the largest logit', () => {
  assert.equal(argmax(Float32Array.from([0, 5, 5, -2])), 1);
});

test('temperature 0 is greedy whatever the seed', () => {
  for (const seed of [1, 2, 3]) assert.equal(new Sampler({ temperature: 0, seed }).sample(logits()), 1);
});

test('top-k 2 only ever draws the two most likely tokens', () => {
  const counts = histogram(new Sampler({ temperature: 1, topK: 2, seed: 7 }), 2000);
  assert.deepEqual([counts[0], counts[3], counts[4]], [0, 0, 0]);
  // p(1) / p(2) = e^(3-2) = 2.72 after renormalisation over the pair.
  assert.ok(counts[1]! / counts[2]! > 2.3 && counts[1]! / counts[2]! < 3.2, `counts ${counts}`);
});

test('top-p keeps the smallest set reaching p: 0.6 keeps only the top token, 0.9 the top three', () => {
  // softmax([1,3,2,0,-1]) = [0.086, 0.636, 0.234, 0.032, 0.012]
  assert.deepEqual(histogram(new Sampler({ temperature: 1, topP: 0.6, seed: 1 }), 300), [0, 300, 0, 0, 0]);
  const counts = histogram(new Sampler({ temperature: 1, topP: 0.9, seed: 1 }), 3000);
  assert.deepEqual([counts[3], counts[4]], [0, 0]);
  assert.ok(counts[0]! > 0 && counts[2]! > 0);
});

test('a seeded sampler reproduces its samples exactly; another seed draws differently', () => {
  const draws = (seed: number) => {
    const sampler = new Sampler({ temperature: 1.5, seed });
    return Array.from({ length: 40 }, () => sampler.sample(logits()));
  };
  assert.deepEqual(draws(99), draws(99));
  assert.notDeepEqual(draws(99), draws(100));
});

test('repetition penalty divides positive and multiplies negative logits of seen tokens, once each', () => {
  const x = Float32Array.from([2, -2, 4]);
  applyRepetitionPenalty(x, [0, 1, 0, 0], 2);
  assert.deepEqual([...x], [1, -4, 4]);
});

test('repetition penalty can change the greedy choice', () => {
  assert.equal(new Sampler({ repetitionPenalty: 2 }).sample(logits(), [1]), 2);
});

test('invalid options are rejected with the option named', () => {
  assert.throws(() => new Sampler({ temperature: -1 }), /temperature must be >= 0/);
  assert.throws(() => new Sampler({ topP: 0 }), /topP must be in \(0, 1\]/);
  assert.throws(() => new Sampler({ topK: 1.5 }), /topK must be a non-negative integer/);
});
