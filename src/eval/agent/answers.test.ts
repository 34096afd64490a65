import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answersMatch } from './answers.js';

test('answers match under the documented normalisation', () => {
  assert.ok(answersMatch('98.60', '98.6'));
  assert.ok(answersMatch('98.6000001', '98.6'));
  assert.ok(!answersMatch('98.7', '98.6'));
  assert.ok(answersMatch('"0:00:27"', '0:00:27'));
  assert.ok(answersMatch('  Hello   World. ', 'hello world'));
  assert.ok(answersMatch('{"b":2,"a":1}', '{"a":1,"b":2.0000000001}'));
  assert.ok(!answersMatch('{"a":1}', '{"a":1,"b":2}'));
  assert.ok(answersMatch('[1,2]', '[1, 2]'));
  assert.ok(!answersMatch('[2,1]', '[1,2]'));
  assert.ok(!answersMatch('the answer is 5', '5'), 'a number inside text is not extracted');
  assert.ok(answersMatch('true', 'true'));
  assert.ok(!answersMatch('true', 'false'));
});
