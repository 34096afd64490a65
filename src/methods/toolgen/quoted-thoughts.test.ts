import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FINISH_THOUGHT, nextThoughts, planSteps, taskParts, taskThrough } from './quoted-thoughts.js';

const task = 'Convert 37.5 degrees Celsius to Fahrenheit. Then my parcel weighs the result pounds. What is that in stone? Next, round the result.';

test('a task is cut into its sentences, decimals and percentages kept whole', () => {
  assert.deepEqual(taskParts(task), ['Convert 37.5 degrees Celsius to Fahrenheit.', 'Then my parcel weighs the result pounds.', 'What is that in stone?', 'Next, round the result.']);
  assert.deepEqual(taskParts('  Tip 12.5% on 40!  '), ['Tip 12.5% on 40!']);
});

test('a one-call plan does the whole task; a plan of one call per sentence does a sentence each; other plans need their steps', () => {
  assert.deepEqual(planSteps(task, 1), [task]);
  assert.deepEqual(planSteps('What is 2 plus 3? Then double the result.', 2), ['What is 2 plus 3?', 'Then double the result.']);
  assert.throws(() => planSteps(task, 3), /a plan of 3 calls for a task of 4 sentences needs its step texts/);
});

test('the next thought is a run of sentences after the last one quoted; the finish thought only once all are quoted', () => {
  const parts = taskParts(task);
  assert.deepEqual(nextThoughts(task, []), [parts[0], parts.slice(0, 2).join(' '), parts.slice(0, 3).join(' '), task]);
  assert.deepEqual(nextThoughts(task, [parts[0]!, 'Then my parcel weighs the result pounds. What is that in stone?']), [parts[3]]);
  assert.deepEqual(nextThoughts(task, [parts[0]!, 'an unquoted thought']), [parts[1], parts.slice(1, 3).join(' '), parts.slice(1).join(' ')], 'a thought that quotes nothing moves nothing');
  assert.deepEqual(nextThoughts(task, [task]), [FINISH_THOUGHT]);
});

test('a step copies from the task as far as its thought has read it, not from what later steps say', () => {
  const task = 'What is the GCD of 84 and 126? Then multiply the result by 3.';
  assert.equal(taskThrough(task, 'What is the GCD of 84 and 126?'), 'What is the GCD of 84 and 126?');
  assert.equal(taskThrough(task, 'Then multiply the result by 3.'), task);
  assert.equal(taskThrough('A. B.  C.', 'B.'), 'A. B.');
  assert.equal(taskThrough(task, 'not a quote of it'), task, 'a thought that quotes no run of the task leaves the whole task');
});
