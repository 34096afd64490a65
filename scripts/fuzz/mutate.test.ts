import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../src/util/random.js';
import { fuzzInputs, mutate } from './mutate.js';
import { runInput } from './outcome.js';
import type { FuzzTarget } from './target.js';

test('mutations are deterministic for a seed and change the input', () => {
  const seed = Uint8Array.from({ length: 64 }, (_, i) => i);
  const first = [...Array(50)].map((_, i) => mutate(seed, [seed], seededRandom(i)));
  const again = [...Array(50)].map((_, i) => mutate(seed, [seed], seededRandom(i)));
  assert.deepEqual(first, again);
  assert.ok(first.filter((m) => Buffer.compare(Buffer.from(m), Buffer.from(seed)) !== 0).length >= 45);
  assert.ok(first.some((m) => m.length < seed.length), 'some truncate');
});

test('text inputs get hostile JSON values', () => {
  const json = Buffer.from('{"num_hidden_layers": 2, "name": "x"}');
  const inputs = fuzzInputs([json], seededRandom(3));
  const texts = [...Array(300)].map(() => Buffer.from(inputs.next().value!).toString('utf8'));
  assert.ok(texts.some((t) => t.includes('__proto__') || t.includes('1e6') || t.includes('4294967295')));
});

test('an outcome is a defect for an unexpected error or a changed prototype, a rejection for the target type', () => {
  class Refused extends Error {}
  const target = (run: (input: Uint8Array) => unknown): FuzzTarget => ({ name: 't', seeds: () => [], run, rejects: (e) => e instanceof Refused });
  assert.equal(runInput(target(() => 1), new Uint8Array()).kind, 'accepted');
  assert.equal(runInput(target(() => { throw new Refused('no'); }), new Uint8Array()).kind, 'rejected');
  const crash = runInput(target((b) => (b as unknown as { x: { y: number } }).x.y), new Uint8Array());
  assert.equal(crash.kind, 'defect');
  assert.match(crash.problem ?? '', /TypeError/);
  const polluting = runInput(target(() => Object.defineProperty(Object.prototype, 'fuzzPolluted', { value: 1, configurable: true })), new Uint8Array());
  delete (Object.prototype as Record<string, unknown>)['fuzzPolluted'];
  assert.equal(polluting.kind, 'defect');
  assert.match(polluting.problem ?? '', /Object\.prototype/);
});
