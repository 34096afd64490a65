import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { loadRetrievalBenchmark } from './benchmarks.js';
import { sharedDatasetsDir } from './loaders/files.js';

test('the demo benchmark needs no third-party data and splits by seed', () => {
  const bench = loadRetrievalBenchmark('demo', { seed: 4 });
  assert.equal(bench.tools.length, 129);
  assert.equal(bench.train.length + bench.test.length, 129 * 12);
  assert.deepEqual(loadRetrievalBenchmark('demo', { seed: 4 }).test, bench.test);
});

test('metatool holds out a fifth of the queries for test', (t) => {
  if (!existsSync(sharedDatasetsDir())) return t.skip('../shared absent');
  const bench = loadRetrievalBenchmark('metatool', { seed: 0 });
  const total = bench.train.length + bench.test.length;
  assert.equal(bench.test.length, Math.round(total * 0.2));
  const trainTexts = new Set(bench.train.map((q) => q.query.toLowerCase()));
  assert.ok(bench.test.every((q) => !trainTexts.has(q.query.toLowerCase())));
});
