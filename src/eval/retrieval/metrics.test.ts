import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  averageMetrics,
  completenessAtK,
  ndcgAtK,
  ndcgRetrievedAtK,
  queryMetrics,
  recallAtK,
  reciprocalRank,
} from './metrics.js';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

// Ranking a x b y c against relevant {a, b, c, d}: hits at ranks 1, 3 and 5; d is never retrieved.
const ranked = ['a', 'x', 'b', 'y', 'c'];
const relevant = new Set(['a', 'b', 'c', 'd']);

test('standard NDCG@k divides by the ideal DCG of all relevant tools', () => {
  close(ndcgAtK(ranked, relevant, 1), 1);
  // DCG@3 = 1 + 1/log2(4) = 1.5; IDCG@3 = 1 + 1/log2(3) + 1/log2(4)
  close(ndcgAtK(ranked, relevant, 3), 0.7039180890341347);
  // DCG@5 adds 1/log2(6); IDCG@5 has four relevant tools: adds 1/log2(5)
  close(ndcgAtK(ranked, relevant, 5), 0.7365896932159578);
});

test("ToolGen's NDCG@k builds the ideal ranking only from relevant tools that were retrieved", () => {
  close(ndcgRetrievedAtK(ranked, relevant, 1), 1);
  close(ndcgRetrievedAtK(ranked, relevant, 3), 0.7039180890341347);
  // three relevant tools were retrieved, so IDCG@5 = IDCG@3 and the missing d costs nothing
  close(ndcgRetrievedAtK(ranked, relevant, 5), 0.8854598815714874);
  close(ndcgRetrievedAtK(['x', 'y'], relevant, 5), 0);
});

test('NDCG of a perfect ranking is 1 and of a ranking without hits is 0', () => {
  close(ndcgAtK(['a', 'b'], new Set(['a', 'b']), 5), 1);
  close(ndcgAtK(['x', 'y', 'z'], relevant, 3), 0);
  close(ndcgAtK(['a'], new Set(), 3), 0);
});

test('a repeated id counts only at its first rank', () => {
  // after dropping the second a, b sits at rank 2: 1/log2(3)
  close(ndcgAtK(['a', 'a', 'b'], new Set(['b']), 2), 0.6309297535714575);
  close(recallAtK(['b', 'b', 'b'], new Set(['b', 'c']), 3), 0.5);
});

test('recall@k is the share of relevant tools in the top k', () => {
  close(recallAtK(ranked, relevant, 1), 0.25);
  close(recallAtK(ranked, relevant, 5), 0.75);
});

test('COMP@k is 1 only when every relevant tool is in the top k', () => {
  assert.equal(completenessAtK(ranked, relevant, 5), 0);
  assert.equal(completenessAtK(ranked, new Set(['a', 'b']), 3), 1);
  assert.equal(completenessAtK(ranked, new Set(['a', 'b']), 2), 0);
});

test('MRR takes the reciprocal rank of the first relevant tool', () => {
  close(reciprocalRank(['x', 'y', 'a'], relevant), 1 / 3);
  close(reciprocalRank(['x'], relevant), 0);
});

test('queryMetrics names every metric and averageMetrics takes the mean over queries', () => {
  const one = queryMetrics(['a'], new Set(['a']));
  assert.deepEqual(Object.keys(one), ['ndcg@1', 'ndcg@3', 'ndcg@5', 'ndcg-retrieved@1', 'ndcg-retrieved@3', 'ndcg-retrieved@5', 'recall@5', 'mrr', 'comp@5']);
  const two = queryMetrics(['x', 'a'], new Set(['a']));
  const mean = averageMetrics([one, two]);
  close(mean['ndcg@1']!, 0.5);
  close(mean.mrr!, 0.75);
  close(mean['comp@5']!, 1);
});
