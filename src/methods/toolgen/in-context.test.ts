import assert from 'node:assert/strict';
import { test } from 'node:test';
import { demoCatalog } from '../../data/demo/catalog.js';
import { candidateRecall, InContextCandidates } from './in-context.js';

const tools = demoCatalog();

test('candidates are the top k of BM25 for the task', () => {
  const candidates = new InContextCandidates(tools, 5).select('What is the greatest common divisor of 84 and 126?');
  assert.equal(candidates.length, 5);
  assert.equal(candidates[0]!.id, 'greatest_common_divisor');
});

test('with gold tools, each missing one takes the place of a lower-ranked other, so the list stays k long', () => {
  const picker = new InContextCandidates(tools, 5);
  const task = 'What is the greatest common divisor of 84 and 126?';
  const plain = picker.select(task).map((t) => t.id);
  const withGold = picker.select(task, ['greatest_common_divisor', 'hex_to_rgb', 'reverse_text']).map((t) => t.id);
  assert.equal(withGold.length, 5);
  assert.deepEqual(withGold.slice(0, 3), plain.slice(0, 3));
  assert.deepEqual(new Set(withGold.slice(3)), new Set(['hex_to_rgb', 'reverse_text']));
});

test('candidate recall: the share of the gold tools the prompt offers', () => {
  const offered = tools.slice(0, 3);
  assert.equal(candidateRecall(offered, [offered[0]!.id, 'nope']), 0.5);
  assert.equal(candidateRecall(offered, []), 1);
});
