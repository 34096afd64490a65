import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tool } from '../tools/types.js';
import { Bm25Index, toolSearchText } from './bm25.js';
import { tokenize } from './tokenize.js';

const close = (actual: number, expected: number): void => assert.ok(Math.abs(actual - expected) < 1e-12, `${actual} != ${expected}`);

// N = 3, average length 2 tokens.
const docs = [
  { id: 'd1', text: 'cat sat' },
  { id: 'd2', text: 'cat cat dog' },
  { id: 'd3', text: 'bird' },
];

test('tokenize lowercases, splits camelCase and non-alphanumerics, and can drop stopwords', () => {
  assert.deepEqual(tokenize('getWaterQuality for the HTTPServer, déjà-vu!'), ['get', 'water', 'quality', 'for', 'the', 'http', 'server', 'déjà', 'vu']);
  assert.deepEqual(tokenize('What is the weather in Paris?', { stopwords: true }), ['weather', 'paris']);
});

test('idf is ln(1 + (N - df + 0.5) / (df + 0.5))', () => {
  const index = new Bm25Index(docs);
  close(index.idf('cat'), Math.log(1.6));
  close(index.idf('dog'), Math.log(1 + 2.5 / 1.5));
  close(index.idf('unknown'), Math.log(1 + 3.5 / 0.5));
});

test('scores match the Okapi formula with k1 = 1.2 and b = 0.75', () => {
  const index = new Bm25Index(docs);
  const [d1, d2, d3] = index.scores('cat');
  // d1: tf 1, |D| = avgdl, so the length norm is k1 and the score is exactly idf
  close(d1!, 0.47000362924573563);
  // d2: tf 2, |D| = 3: idf * 2 * 2.2 / (2 + 1.2 * (0.25 + 0.75 * 1.5))
  close(d2!, 0.5665797174469143);
  assert.equal(d3, 0);
  // each query token counts: 'cat dog' on d2 adds dog's share, idf(dog) * 2.2 / (1 + 1.65)
  close(index.scores('cat dog')[1]!, 0.5665797174469143 + 0.8142733421229427);
});

test('b = 0 turns off length normalisation', () => {
  const index = new Bm25Index(docs, { b: 0 });
  close(index.scores('cat')[1]!, (Math.log(1.6) * 2 * 2.2) / (2 + 1.2));
});

test('rank returns the best k with positive scores, best first, within the candidates when given', () => {
  const index = new Bm25Index(docs);
  assert.deepEqual(
    index.rank('cat', 5).map((h) => h.id),
    ['d2', 'd1'],
  );
  assert.deepEqual(
    index.rank('cat', 1).map((h) => h.id),
    ['d2'],
  );
  assert.deepEqual(
    index.rank('cat', 5, { candidates: new Set(['d1', 'd3']) }).map((h) => h.id),
    ['d1'],
  );
  assert.deepEqual(index.rank('zebra', 5), []);
});

test('tools are indexed by name, group, description and parameters', () => {
  const tool: Tool = {
    id: 'weather&&forecast',
    name: 'getForecast',
    description: 'Daily forecast',
    group: { name: 'Weather', description: 'Weather data' },
    parameters: { type: 'object', properties: { city: { type: 'string', description: 'City name' } }, required: ['city'] },
  };
  assert.equal(toolSearchText(tool), 'getForecast\nDaily forecast\nWeather\nWeather data\ncity\nCity name');
  assert.deepEqual(Bm25Index.fromTools([tool]).rank('city forecast', 3).map((h) => h.id), ['weather&&forecast']);
});

test('an index over 50,000 documents answers a query in milliseconds', () => {
  const vocabulary = Array.from({ length: 5000 }, (_, i) => `w${i}`);
  const documents = Array.from({ length: 50_000 }, (_, i) => ({
    id: `doc${i}`,
    text: Array.from({ length: 12 }, (_, j) => vocabulary[(i * 7 + j * 131) % vocabulary.length]).join(' '),
  }));
  const index = new Bm25Index(documents);
  const start = performance.now();
  let hits = 0;
  for (let q = 0; q < 20; q++) hits += index.rank(`w${q * 11} w${q * 13 + 1} w${q * 17 + 2}`, 10).length;
  const perQuery = (performance.now() - start) / 20;
  assert.ok(hits > 0);
  assert.ok(perQuery < 50, `a query took ${perQuery.toFixed(1)} ms`);
});
