import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approxMatch, callPrecisionRecall, containsAnswer, countCalls, exactMatch, extractAnswer } from './scoring.js';

test('the answer is the last number after the last #### or "answer is", commas removed', () => {
  assert.equal(extractAnswer('He has 12 fish. #### 240'), 240);
  assert.equal(extractAnswer('The total is 501. So, the answer is 1,501 dollars.'), 1501);
  assert.equal(extractAnswer('so the answer is 0.29 pounds or 3 pieces'), 3);
  assert.equal(extractAnswer('no number here'), undefined);
  assert.equal(extractAnswer('x 7 #### y'), undefined);
  assert.equal(extractAnswer('answer is -4.5'), -4.5);
});

test('exact match: 2-decimal rounding; an integer label compares the prediction truncated (the original quirk)', () => {
  assert.equal(exactMatch(32.381, 32.38), true);
  assert.equal(exactMatch(32.376, 32.38), true);
  assert.equal(exactMatch(32.37, 32.38), false);
  assert.equal(exactMatch(42.9, 42), true);
  assert.equal(exactMatch(-3.5, -3), true);
  assert.equal(exactMatch(43, 42), false);
  // Below 1 the label keeps two digits after its leading zeros.
  assert.equal(exactMatch(0.0012, 0.001234), false);
  assert.equal(exactMatch(undefined, 1), false);
});

test('approx: within 0.1% of the label', () => {
  assert.equal(approxMatch(1000.9, 1000), true);
  assert.equal(approxMatch(1001.1, 1000), false);
  assert.equal(approxMatch(0, 0), true);
});

test('calls count as matched by tool, as multisets; precision and recall sum over questions', () => {
  const a = countCalls(['<add>', '<add>', '<divide>'], ['<add>', '<multiply>']);
  assert.deepEqual(a, { matched: 1, predicted: 3, gold: 2 });
  const b = countCalls([], ['<add>', '']);
  assert.deepEqual(callPrecisionRecall([a, b]), { precision: 1 / 3, recall: 1 / 4 });
});

test('KAMEL without toolkens: an accepted object string in the text', () => {
  assert.equal(containsAnswer('It is a Compilation Album.', ['compilation album', 'comp. album']), true);
  assert.equal(containsAnswer('It is a single.', ['compilation album']), false);
});
