import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ObjectSchema } from '../../tools/types.js';
import { argumentBindings, parameterWords } from './copy-binding.js';
import { copyCandidates, withCopiedValues } from './copy-values.js';

const schema = (...names: string[]): ObjectSchema => ({ type: 'object', properties: Object.fromEntries(names.map((n) => [n, { type: 'number' }])), required: names });

test('parameterWords: snake_case, camelCase and the title, plurals and filler words dropped', () => {
  assert.deepEqual([...parameterWords('cost_per_unit')], ['cost', 'unit']);
  assert.deepEqual([...parameterWords('fixedCosts', 'Fixed costs')], ['fixed', 'cost']);
});

test('argumentBindings: a value goes to the parameter whose name introduces it; "the result" stands for the last result', () => {
  const b = argumentBindings(schema('hue', 'saturation', 'lightness'), 'convert hue the result, saturation 39, lightness 17 to hex', [{ phrase: 'the result', value: 1 }]);
  assert.deepEqual(Object.fromEntries(b), { hue: [1], saturation: [39], lightness: [17] });
  const costs = argumentBindings(schema('fixed_costs', 'price_per_unit', 'cost_per_unit'), 'fixed costs of 705820, price 110.27 and unit cost 0.98');
  assert.deepEqual(Object.fromEntries(costs), { fixed_costs: [705820], price_per_unit: [110.27], cost_per_unit: [0.98] });
});

test('argumentBindings: a value no name introduces, a tie, or a number inside a quote binds to nothing', () => {
  assert.equal(argumentBindings(schema('dividend', 'divisor'), 'Compute -44680 modulo 331').size, 0);
  assert.equal(argumentBindings(schema('start_year', 'end_year'), 'the year 2020').size, 0);
  assert.deepEqual(Object.fromEntries(argumentBindings(schema('count'), 'search "count 5" please')), {});
});

test('withCopiedValues: a bound parameter is offered its values, the others are not offered them', () => {
  const s = schema('hue', 'saturation');
  const candidates = copyCandidates(['hue 12, saturation 39']);
  const narrowed = withCopiedValues(s, candidates, undefined, argumentBindings(s, 'hue 12, saturation 39'));
  assert.deepEqual(narrowed.properties.hue!.enum, [12]);
  assert.deepEqual(narrowed.properties.saturation!.enum, [39]);
  const onlyHue = withCopiedValues(s, candidates, undefined, new Map([['hue', [12]]]));
  assert.ok(!onlyHue.properties.saturation!.enum!.includes(12));
  assert.ok(onlyHue.properties.saturation!.enum!.includes(39));
});
