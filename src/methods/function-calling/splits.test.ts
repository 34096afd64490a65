// Splits are seeded and explicit, and BFCL test questions never reach training: by id and by normalised text.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { bfclExamples, type FcExample } from './data.js';
import { assertNoTestLeak, normalizeQuestion, questionText, splitFcExamples, splitManifest } from './splits.js';

const bfclDir = join(sharedDatasetsDir(), 'bfcl');

const example = (id: string, question: string): FcExample => ({
  id,
  source: `${id}.jsonl:1`,
  tools: [],
  messages: [{ role: 'user', content: question }, { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'f', arguments: {} } }] }],
});

test('question text is compared lower-cased with punctuation and spacing ignored', () => {
  assert.equal(normalizeQuestion('  What is the Weather, in PARIS?! '), 'what is the weather in paris');
  assert.equal(questionText(example('a', 'Héllo -- World')), 'héllo world');
});

test('the same seed gives the same split; the test split draws benchmark questions only', () => {
  const examples = [...Array.from({ length: 40 }, (_, i) => example(`bfcl/q${i}`, `question ${i}`)), ...Array.from({ length: 20 }, (_, i) => example(`user/u${i}`, `other ${i}`))];
  const a = splitManifest(splitFcExamples(examples, { seed: 5, validation: 0.1, test: 0.25 }));
  const b = splitManifest(splitFcExamples(examples, { seed: 5, validation: 0.1, test: 0.25 }));
  const c = splitManifest(splitFcExamples(examples, { seed: 6, validation: 0.1, test: 0.25 }));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.test, c.test);
  assert.equal(a.test.length, 10);
  assert.ok(a.test.every((id) => id.startsWith('bfcl/')));
  assert.equal(a.validation.length, 5);
  assert.deepEqual([...a.train, ...a.validation, ...a.test].sort(), examples.map((e) => e.id).sort());
});

test('an example from another source that asks a test question is dropped from training', () => {
  const examples = [example('bfcl/q0', 'What is 2+2?'), example('bfcl/q1', 'Weather in Oslo'), example('seal/s0', 'what is 2 + 2'), example('seal/s1', 'WEATHER in oslo!')];
  const split = splitFcExamples(examples, { seed: 1, validation: 0, test: 0.5 });
  const testText = questionText(split.test[0]!);
  assert.equal(split.test.length, 1);
  assert.equal(split.dropped.length, 1);
  assert.equal(questionText(examples.find((e) => e.id === split.dropped[0])!), testText);
  assert.ok(split.train.every((e) => questionText(e) !== testText));
  assert.throws(() => assertNoTestLeak({ train: [example('x', 'what is 2 + 2')], validation: [], test: [examples[0]!] }), /x \(x.jsonl:1\) asks a test question/);
  assert.throws(() => assertNoTestLeak({ train: [example('bfcl/q0', 'different')], validation: [], test: [examples[0]!] }), /test question bfcl\/q0 is in the training data/);
  assert.throws(() => splitFcExamples([examples[0]!, examples[0]!], { seed: 1, validation: 0, test: 0.5 }), /example id '.*' appears twice \(.*\): give each example its own "id"/);
});

test('BFCL: no test question is in train or validation, by id or by text', { skip: existsSync(bfclDir) ? false : '../shared absent' }, () => {
  const examples = bfclExamples(bfclDir, ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'live_simple']);
  const split = splitFcExamples(examples, { seed: 0, validation: 0.05, test: 0.3 });
  const trainIds = new Set([...split.train, ...split.validation].map((e) => e.id));
  const trainTexts = new Set([...split.train, ...split.validation].map(questionText));
  assert.ok(split.test.length > 350, String(split.test.length));
  for (const e of split.test) {
    assert.ok(!trainIds.has(e.id), e.id);
    assert.ok(!trainTexts.has(questionText(e)), e.id);
  }
  // BFCL repeats some question texts across entries; they all land on one side.
  assert.equal(split.train.length + split.validation.length + split.test.length + split.dropped.length, examples.length);
});
