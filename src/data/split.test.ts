import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, shuffled } from '../util/random.js';
import { splitQueries } from './split.js';
import type { RetrievalQuery } from './types.js';

const queries: RetrievalQuery[] = Array.from({ length: 100 }, (_, i) => ({ id: `q${i}`, query: `query ${i}`, relevant: [`t${i % 10}`] }));
const ids = (qs: RetrievalQuery[]): string[] => qs.map((q) => q.id);

test('the seeded generator is deterministic and differs between seeds', () => {
  const a = seededRandom(7);
  const b = seededRandom(7);
  const first = [a(), a(), a()];
  assert.deepEqual(first, [b(), b(), b()]);
  assert.notDeepEqual(first, [seededRandom(8)(), seededRandom(8)(), seededRandom(8)()]);
  assert.deepEqual(shuffled([1, 2, 3, 4, 5], seededRandom(1)).sort(), [1, 2, 3, 4, 5]);
});

test('a split takes the requested fractions, covers every query once and repeats for the same seed', () => {
  const split = splitQueries(queries, { seed: 3, validation: 0.1, test: 0.2 });
  assert.equal(split.test.length, 20);
  assert.equal(split.validation.length, 10);
  assert.equal(split.train.length, 70);
  assert.deepEqual([...ids(split.train), ...ids(split.validation), ...ids(split.test)].sort(), ids(queries).sort());
  assert.deepEqual(splitQueries(queries, { seed: 3 }), split);
  assert.notDeepEqual(ids(splitQueries(queries, { seed: 4 }).test), ids(split.test));
});

test('queries with the same text (ignoring case and spaces) always land in the same split', () => {
  const twins: RetrievalQuery[] = [...queries, { id: 'twin', query: '  QUERY 5 ', relevant: ['t9'] }];
  for (const seed of [1, 2, 3, 4, 5]) {
    const split = splitQueries(twins, { seed });
    const side = (id: string): string => (ids(split.train).includes(id) ? 'train' : ids(split.validation).includes(id) ? 'validation' : 'test');
    assert.equal(side('twin'), side('q5'));
  }
});

test('unseen tools never appear in train or validation and all their queries go to test', () => {
  const split = splitQueries(queries, { seed: 11, unseenToolFraction: 0.2 });
  assert.equal(split.unseenTools.length, 2);
  const unseen = new Set(split.unseenTools);
  for (const q of [...split.train, ...split.validation]) assert.ok(!q.relevant.some((t) => unseen.has(t)), `${q.id} uses an unseen tool`);
  assert.equal(split.test.filter((q) => q.relevant.some((t) => unseen.has(t))).length, 20);
});

test('fractions outside [0, 1) are rejected with the option named', () => {
  assert.throws(() => splitQueries(queries, { seed: 1, test: 1.5 }), /split: test must be in \[0, 1\), got 1\.5/);
  assert.throws(() => splitQueries(queries, { seed: 1, test: 0.6, validation: 0.5 }), /leave some queries for train/);
});
