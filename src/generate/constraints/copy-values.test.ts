import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectSchema } from '../../tools/types.js';
import { JsonAutomaton } from './json-automaton.js';
import { copyCandidates, withCopiedValues } from './copy-values.js';

const schema: ObjectSchema = {
  type: 'object',
  properties: {
    value: { type: 'number' },
    count: { type: 'integer', minimum: 0 },
    date: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' },
    text: { type: 'string' },
    unit: { type: 'string', enum: ['C', 'F'] },
    values: { type: 'array', items: { type: 'number' } },
    flag: { type: 'boolean' },
  },
  required: ['value'],
};

test('the task and the observations offer quoted spans, word spans, numbers and JSON leaves', () => {
  const c = copyCandidates(['Count the words of "Step on no pets" from 2024-01-15, then add 3.5.', '{"total": 42, "label": "ok"}']);
  for (const s of ['Step on no pets', '2024-01-15', 'Count the words', 'ok', '42']) assert.ok(c.strings.includes(s), s);
  assert.deepEqual([...c.numbers].sort((a, b) => a - b), [-15, -1, 3.5, 42, 2024]);
});

test('free parameters are narrowed to the candidates their schema accepts; enums, booleans and unmatched ones stay', () => {
  const narrowed = withCopiedValues(schema, { strings: ['2024-01-15', 'hello world'], numbers: [3.5, 7, -2] });
  const p = narrowed.properties;
  assert.deepEqual(p.value!.enum, [3.5, 7, -2]);
  assert.deepEqual(p.count!.enum, [7], 'integers at least 0 only');
  assert.deepEqual(p.date!.enum, ['2024-01-15'], 'only values that match the pattern');
  assert.deepEqual(p.text!.enum, ['2024-01-15', 'hello world']);
  assert.deepEqual(p.unit!.enum, ['C', 'F']);
  assert.deepEqual(p.values!.items!.enum, [3.5, 7, -2]);
  assert.equal(p.flag!.enum, undefined);
  const none = withCopiedValues(schema, { strings: ['not a date'], numbers: [] });
  assert.equal(none.properties.date!.enum, undefined, 'no fitting candidate: the parameter is decoded freely');
  assert.equal(none.properties.value!.enum, undefined);
});

test('the narrowed schema compiles for the constrained decoder, which then accepts only copied values', () => {
  const automaton = new JsonAutomaton(withCopiedValues(schema, { strings: ['2024-01-15'], numbers: [7] }));
  const accepts = (text: string): boolean => {
    const state = automaton.advanceBytes(automaton.initial(), Buffer.from(text));
    return state !== undefined && automaton.isComplete(state);
  };
  assert.ok(accepts('{"value":7,"date":"2024-01-15"}'));
  assert.ok(!accepts('{"value":8}'));
  assert.ok(!accepts('{"value":7,"date":"1919-07-07"}'));
});
