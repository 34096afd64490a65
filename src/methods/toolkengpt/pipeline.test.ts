import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { loadVirtualHomeBenchmark, planSteps } from './pipeline.js';

test('plan steps: action and object toolkens per line, up to [END]', () => {
  assert.deepEqual(planSteps('[WALK] <home_office>\n[PUTBACK] <mug> <table>\nnot a step\n[END]\n[SIT] <chair>'), ['[WALK] <home_office>', '[PUTBACK] <mug> <table>', '[END]']);
  assert.deepEqual(planSteps('nothing'), []);
});

test('the VirtualHome substitute holds out every tenth plan', { skip: existsSync(join(sharedDatasetsDir(), 'toolkengpt-data', 'vh')) ? false : '../shared absent' }, () => {
  const bench = loadVirtualHomeBenchmark(join(sharedDatasetsDir(), 'toolkengpt-data'));
  assert.equal(bench.test.length, 25);
  assert.equal(bench.train.length, 222);
  assert.ok(bench.test.every((t) => t.plan.at(-1)!.join(' ') === '[END]'));
});
