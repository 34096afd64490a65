// The study's training sets: patterns read off each example's answer, unseen tools disjoint from the test
// functions, unseen patterns without parallel_multiple, equal-sized diversity sets, and pretraining text that carries
// no chat markup and, built from a split's training side, no test question.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import type { ChatToolSpec } from '../../tokenizer/chat-template.js';
import { bfclExamples, type FcExample } from './data.js';
import { callPattern, diversitySets, functionNames, pretrainingDocument, unseenPatternsTraining, unseenToolsTraining } from './experiments.js';
import { assertNoTestLeak, splitFcExamples } from './splits.js';

const tool = (name: string): ChatToolSpec => ({ type: 'function', function: { name, description: `does ${name}`, parameters: { type: 'object', properties: { x: { type: 'integer' } } } } });
const example = (id: string, offered: readonly string[], called: readonly string[]): FcExample => ({
  id,
  source: `${id}.jsonl:1`,
  tools: offered.map(tool),
  messages: [{ role: 'user', content: `question ${id}` }, { role: 'assistant', content: '', tool_calls: called.map((name, i) => ({ type: 'function', function: { name, arguments: { x: i } } })) }],
});

test('the call pattern follows the answer: one call of one offered function, of several, several calls of one or more', () => {
  assert.equal(callPattern(example('a', ['f'], ['f'])), 'simple');
  assert.equal(callPattern(example('b', ['f', 'g'], ['g'])), 'multiple');
  assert.equal(callPattern(example('c', ['f'], ['f', 'f'])), 'parallel');
  assert.equal(callPattern(example('d', ['f', 'g'], ['f', 'g', 'f'])), 'parallel_multiple');
});

test('unseen tools: no training example offers or calls a test function; unseen patterns: no parallel_multiple', () => {
  const train = [example('a', ['f'], ['f']), example('b', ['g', 'h'], ['g']), example('c', ['h'], ['h', 'h']), example('d', ['f', 'k'], ['f', 'k'])];
  assert.deepEqual([...functionNames(train[3]!)].sort(), ['f', 'k']);
  assert.deepEqual(unseenToolsTraining(train, new Set(['h'])).map((e) => e.id), ['a', 'd']);
  assert.deepEqual(unseenPatternsTraining(train).map((e) => e.id), ['a', 'b', 'c']);
});

test('diversity: N simple examples against N/4 of each pattern, seeded; too small a pool is refused', () => {
  const pool = [
    ...Array.from({ length: 16 }, (_, i) => example(`s${i}`, ['f'], ['f'])),
    ...Array.from({ length: 3 }, (_, i) => example(`m${i}`, ['f', 'g'], ['g'])),
    ...Array.from({ length: 3 }, (_, i) => example(`p${i}`, ['f'], ['f', 'f'])),
    ...Array.from({ length: 3 }, (_, i) => example(`q${i}`, ['f', 'g'], ['f', 'g'])),
  ];
  const sets = diversitySets(pool, 8, 1);
  assert.equal(sets.simpleOnly.length, 8);
  assert.ok(sets.simpleOnly.every((e) => callPattern(e) === 'simple'));
  assert.equal(sets.allCategories.length, 8);
  for (const p of ['simple', 'multiple', 'parallel', 'parallel_multiple'] as const) assert.equal(sets.allCategories.filter((e) => callPattern(e) === p).length, 2);
  assert.deepEqual(diversitySets(pool, 8, 1), sets);
  assert.throws(() => diversitySets(pool, 16, 1), /4 multiple examples needed, the training data has 3/);
  assert.throws(() => diversitySets(pool, 6, 1), /multiple of 4/);
});

test('a pretraining document: the functions, the question and the calls as JSON, without chat markup', () => {
  const doc = pretrainingDocument(example('a', ['f'], ['f']));
  assert.equal(doc, '{"name":"f","description":"does f","parameters":{"type":"object","properties":{"x":{"type":"integer"}}}}\n\nquestion a\n\n{"name":"f","arguments":{"x":0}}');
  assert.ok(!doc.includes('<tool_call>') && !doc.includes('<|im_start|>'));
});

const bfclDir = join(sharedDatasetsDir(), 'bfcl');
test('on BFCL: the pretraining text of a split holds no test question, and unseen tools share no function with the test', { skip: existsSync(bfclDir) ? false : '../shared absent' }, () => {
  const split = splitFcExamples(bfclExamples(bfclDir, ['simple_python', 'multiple', 'parallel', 'parallel_multiple']), { seed: 0, validation: 0, test: 0.25 });
  assertNoTestLeak({ train: split.train, validation: [], test: split.test });
  const documents = split.train.map(pretrainingDocument).join('\n');
  const questions = split.test.map((e) => e.messages.find((m) => m.role === 'user')!.content);
  assert.ok(questions.every((q) => !documents.includes(q)));
  const testFunctions = new Set(split.test.flatMap((e) => [...functionNames(e)]));
  const unseen = unseenToolsTraining(split.train, testFunctions);
  assert.ok(unseen.length > 100 && unseen.length < split.train.length, String(unseen.length));
  assert.ok(unseen.every((e) => [...functionNames(e)].every((name) => !testFunctions.has(name))));
});
