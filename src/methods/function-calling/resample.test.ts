import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '../../util/random.js';
import type { FcExample } from './data.js';
import { resampleFcExample, statedStringPool, statedValues } from './resample.js';
import { tinyExamples, weatherExample, weatherTool } from './testing/tiny-fc.js';

const sum: FcExample = {
  id: 'sum/1', source: 'tiny:sum', tools: [{ type: 'function', function: { name: 'add', description: 'Adds numbers', parameters: { type: 'object', properties: { numbers: { type: 'array' }, unit: { type: 'string', enum: ['EUR', 'USD'] } } } } }],
  messages: [
    { role: 'user', content: 'Add -4.5, 12 and 12.25 in EUR, dated 2024-01-05.' },
    { role: 'assistant', content: '', tool_calls: [{ type: 'function', function: { name: 'add', arguments: { numbers: [-4.5, 12, 12.25], unit: 'EUR', date: '2024-01-05', note: 'x' } } }] },
  ],
};

test('stated values: the gold values the question writes, numbers without their sign; not docs-named strings, one-letter strings, or unstated values', () => {
  assert.deepEqual(statedValues(weatherExample('Paris', 3)), ['Paris', '3']);
  assert.deepEqual(statedValues(sum), ['4.5', '12', '12.25', '2024-01-05']);
  const unstated = { ...weatherExample('Paris', 3), messages: [{ role: 'user' as const, content: 'Weather in the French capital?' }, weatherExample('Paris', 3).messages[1]!] };
  assert.deepEqual(statedValues(unstated), []);
  assert.deepEqual(statedStringPool([...tinyExamples, sum]), ['2024-01-05', 'Lima', 'Oslo', 'Paris', 'Rome']);
});

test('a resampled copy replaces each stated value consistently in the question and the calls, keeping shapes and signs', () => {
  const copy = resampleFcExample(sum, 7, seededRandom(3), ['1999-12-31', 'Rome'])!;
  assert.equal(copy.id, 'sum/1#7');
  const question = copy.messages[0]!.content;
  const args = copy.messages[1]!.tool_calls![0]!.function.arguments as { numbers: number[]; unit: string; date: string; note: string };
  const [a, b, c] = args.numbers as [number, number, number];
  assert.ok(a < 0 && /^\d\.\d$/.test(String(-a)) && /^\d\d$/.test(String(b)) && /^\d\d\.\d\d$/.test(String(c)), JSON.stringify(args.numbers));
  assert.ok([b, c, -a].every((n, i) => n !== [12, 12.25, 4.5][i]));
  // The string replaced from the pool is not renumbered; the docs-named unit and the unstated note are kept.
  assert.equal(args.date, copy.messages[0]!.content.match(/dated (.*)\.$/)![1]);
  assert.ok(['1999-12-31', 'Rome'].includes(args.date));
  assert.deepEqual([args.unit, args.note], ['EUR', 'x']);
  assert.equal(question, `Add ${a}, ${b} and ${c} in EUR, dated ${args.date}.`);
  assert.deepEqual(copy.tools, sum.tools);
});

test('an example that states no value has no resampled copy; the same seed gives the same copy', () => {
  const unstated: FcExample = { id: 'w', source: 's', tools: [weatherTool], messages: [{ role: 'user', content: 'Weather here?' }, weatherExample('Paris', 3).messages[1]!] };
  assert.equal(resampleFcExample(unstated, 1, seededRandom(1), ['Oslo']), undefined);
  const pool = statedStringPool(tinyExamples);
  assert.deepEqual(resampleFcExample(tinyExamples[0]!, 1, seededRandom(5), pool), resampleFcExample(tinyExamples[0]!, 1, seededRandom(5), pool));
  const copy = resampleFcExample(tinyExamples[0]!, 1, seededRandom(5), pool)!;
  const { city, days } = copy.messages[1]!.tool_calls![0]!.function.arguments as { city: string; days: number };
  assert.notEqual(city, 'Paris');
  assert.equal(copy.messages[0]!.content, `Weather in ${city} for ${days} days?`);
});
