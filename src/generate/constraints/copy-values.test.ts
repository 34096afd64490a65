import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObjectSchema } from '../../tools/types.js';
import { JsonAutomaton } from './json-automaton.js';
import { copyBudget, copyCandidates, withCopiedValues } from './copy-values.js';

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

test('the latest observation comes first, so a long task does not crowd its result out of a parameter', () => {
  const task = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
  const c = copyCandidates([task, '{"error":"","response":"2616821.54"}', '"0:00:27"']);
  assert.equal(c.strings[0], '0:00:27');
  const narrowed = withCopiedValues({ type: 'object', properties: { answer: { type: 'string' } }, required: [] }, c, { maxWords: 4, maxCandidates: 8 });
  assert.deepEqual(narrowed.properties.answer!.enum!.slice(0, 2), ['0:00:27', '{"error":"","response":"2616821.54"}']);
  assert.ok(narrowed.properties.answer!.enum!.includes('2616821.54'));
});

test('free parameters are narrowed to the candidates their schema accepts; enums, booleans and unmatched ones stay', () => {
  const narrowed = withCopiedValues(schema, { strings: ['2024-01-15', 'hello world'], numbers: [3.5, 7, -2], arrays: [] });
  const p = narrowed.properties;
  assert.deepEqual(p.value!.enum, [3.5, 7, -2]);
  assert.deepEqual(p.count!.enum, [7], 'integers at least 0 only');
  assert.deepEqual(p.date!.enum, ['2024-01-15'], 'only values that match the pattern');
  assert.deepEqual(p.text!.enum, ['2024-01-15', 'hello world']);
  assert.deepEqual(p.unit!.enum, ['C', 'F']);
  assert.deepEqual(p.values!.items!.enum, [3.5, 7, -2]);
  assert.equal(p.flag!.enum, undefined);
  const none = withCopiedValues(schema, { strings: ['not a date'], numbers: [], arrays: [] });
  assert.equal(none.properties.date!.enum, undefined, 'no fitting candidate: the parameter is decoded freely');
  assert.equal(none.properties.value!.enum, undefined);
});

test('a list in the text, or an array in an observation, is offered whole to an array parameter whose schema it fits', () => {
  const c = copyCandidates(['Find the position of apple among banana, cherry, apple, fig. Then sort 3, 1.5, 2.', '{"sorted":[1,2,3]}']);
  assert.deepEqual(c.arrays, [[1, 2, 3], ['banana', 'cherry', 'apple', 'fig'], [3, 1.5, 2]]);
  const lists: ObjectSchema = { type: 'object', properties: { items: { type: 'array', items: { type: 'string' } }, values: { type: 'array', items: { type: 'integer' }, minItems: 2 } }, required: [] };
  const narrowed = withCopiedValues(lists, c).properties;
  assert.deepEqual(narrowed.items!.enum, [['banana', 'cherry', 'apple', 'fig']]);
  assert.deepEqual(narrowed.values!.enum, [[1, 2, 3]], 'the list with 1.5 is not an integer array');
  const automaton = new JsonAutomaton(withCopiedValues(lists, c));
  const state = automaton.advanceBytes(automaton.initial(), Buffer.from('{"values":[1,2,3]}'));
  assert.ok(state !== undefined && automaton.isComplete(state));
  assert.equal(automaton.advanceBytes(automaton.initial(), Buffer.from('{"values":[1,2,4')), undefined);
});

test('the narrowed schema compiles for the constrained decoder, which then accepts only copied values', () => {
  const automaton = new JsonAutomaton(withCopiedValues(schema, { strings: ['2024-01-15'], numbers: [7], arrays: [] }));
  const accepts = (text: string): boolean => {
    const state = automaton.advanceBytes(automaton.initial(), Buffer.from(text));
    return state !== undefined && automaton.isComplete(state);
  };
  assert.ok(accepts('{"value":7,"date":"2024-01-15"}'));
  assert.ok(!accepts('{"value":8}'));
  assert.ok(!accepts('{"value":7,"date":"1919-07-07"}'));
});

test('each candidate counts the places it occurs, and one call may use a value only that often', () => {
  const c = copyCandidates(['What is the GCD of 62520 and 48425? Add 5 and 5.']);
  assert.equal(c.occurrences.get('48425'), 1);
  assert.equal(c.occurrences.get('5'), 2);
  assert.equal(c.occurrences.get('"GCD"'), 1);
  const pair: ObjectSchema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] };
  const automaton = new JsonAutomaton(withCopiedValues(pair, c), { literalBudget: c.occurrences });
  const accepts = (text: string): boolean => {
    const state = automaton.advanceBytes(automaton.initial(), Buffer.from(text));
    return state !== undefined && automaton.isComplete(state);
  };
  assert.ok(accepts('{"a":48425,"b":62520}'));
  assert.ok(!accepts('{"a":48425,"b":48425}'), 'said once, used once');
  assert.ok(accepts('{"a":5,"b":5}'), 'said twice, used twice');
  // Without the budget both parameters may take the same value.
  const free = new JsonAutomaton(withCopiedValues(pair, c));
  assert.notEqual(free.advanceBytes(free.initial(), Buffer.from('{"a":48425,"b":48425}')), undefined);
});

test('a budget that would leave a parameter no value at all lets every candidate back in', () => {
  const c = copyCandidates(['Raise 7 to a power.']);
  const pair: ObjectSchema = { type: 'object', properties: { base: { type: 'integer' }, exponent: { type: 'integer' } }, required: ['base', 'exponent'] };
  const automaton = new JsonAutomaton(withCopiedValues(pair, c), { literalBudget: c.occurrences });
  const state = automaton.advanceBytes(automaton.initial(), Buffer.from('{"base":7,"exponent":7}'));
  assert.ok(state !== undefined && automaton.isComplete(state));
});

test('the values earlier calls used take up their places: what overlaps them is not offered again', () => {
  const texts = ['What ISO week number is 2017-07-04 in? After that, format the result seconds as hours.', '27'];
  const before = copyCandidates(texts);
  assert.ok(before.numbers.includes(2017) && before.numbers.includes(27));
  const after = copyCandidates(texts, undefined, [{ date: '2017-07-04' }]);
  assert.deepEqual(after.numbers, [27], "the date's numbers went with it; the observation's result is left");
  assert.ok(!after.strings.includes('2017-07-04') && !after.strings.includes('is 2017-07-04'));
  assert.ok(after.strings.includes('seconds'));
  // A list used whole takes its items with it; the observation's sorted list is then the one on offer.
  const lists = copyCandidates(['Sort 3, 1, 2. Then take the mean of the result.', '[1,2,3]'], undefined, [{ values: [3, 1, 2] }]);
  assert.deepEqual(lists.arrays, [[1, 2, 3]]);
  assert.equal(lists.occurrences.get('3'), 1, "only the observation's 3 is left");
  // A value said twice is taken once.
  const twice = copyCandidates(['Add 5 and 5.'], undefined, [5]);
  assert.equal(twice.occurrences.get('5'), 1);
});

test('an enum prefers the values the context states, by code or by name, each as often as it is said', () => {
  const names = ['square meters', 'square kilometers', 'hectares', 'acres'];
  const units: ObjectSchema = {
    type: 'object',
    properties: {
      value: { type: 'number' },
      from_unit: { type: 'string', enum: ['m2', 'km2', 'ha', 'acre'], enumNames: names },
      to_unit: { type: 'string', enum: ['m2', 'km2', 'ha', 'acre'], enumNames: names },
    },
    required: ['value', 'from_unit', 'to_unit'],
  };
  const automatonFor = (text: string): ((args: string) => boolean) => {
    const c = copyCandidates([text]);
    const automaton = new JsonAutomaton(withCopiedValues(units, c), { literalBudget: copyBudget(units, c) });
    return (args) => {
      const state = automaton.advanceBytes(automaton.initial(), Buffer.from(args));
      return state !== undefined && automaton.isComplete(state);
    };
  };
  const both = automatonFor('How many Hectares is 70717.56 square meters?');
  assert.ok(both('{"value":70717.56,"from_unit":"m2","to_unit":"ha"}'));
  assert.ok(both('{"value":70717.56,"from_unit":"ha","to_unit":"m2"}'));
  assert.ok(!both('{"value":70717.56,"from_unit":"m2","to_unit":"m2"}'), 'one unit said once cannot be both ends');
  assert.ok(!both('{"value":70717.56,"from_unit":"acre","to_unit":"ha"}'), 'acres were not said');
  // One unit said: the first enum takes it; once it is spent, the other may be any unit.
  const one = automatonFor('Our land is 3 hectares.');
  assert.ok(!one('{"value":3,"from_unit":"acre","to_unit":"ha"}'));
  assert.ok(one('{"value":3,"from_unit":"ha","to_unit":"acre"}'));
  assert.equal(copyBudget(units, copyCandidates(['convert 5 KM2 please'])).get('"km2"'), 1, 'a code said as itself counts, without regard to case');
  // An enum the context says nothing of keeps every value, unbudgeted.
  const none = copyBudget(units, copyCandidates(['convert 5 of them']));
  assert.equal(none.get('"ha"'), undefined);
  assert.deepEqual(withCopiedValues(units, copyCandidates(['convert 5 hectares'])).properties.to_unit!.enum, ['m2', 'km2', 'ha', 'acre']);
});
