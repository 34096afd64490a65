import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OperandGrammar, statedNumbers } from './operand-copy.js';

test('the stated numbers are every number the texts write, negatives and decimals included', () => {
  assert.deepEqual([...statedNumbers(['What is 12.5 times -3?', 'so far 40'])], ['12.5', '-3', '40']);
  assert.equal(new OperandGrammar(statedNumbers(['no numbers'])).empty, true);
});

test('argument text stays a prefix of a list of stated numbers closed by a parenthesis', () => {
  const grammar = new OperandGrammar(new Set(['12.5', '-3', '40']));
  for (const ok of ['', '1', '12.', '12.5', '12.5,', '12.5, ', '12.5, -', '12.5, -3)', '40, 40, 12.5)', '40)=7']) assert.ok(grammar.accepts(ok), ok);
  for (const bad of ['7', '12.6', '125', '12.5,3', '12.5 ,', '12.5, 5', '-3, x', ')', '40;']) assert.ok(!grammar.accepts(bad), bad);
});
