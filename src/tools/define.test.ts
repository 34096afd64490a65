import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { createToolExecutor, defineTool } from './define.js';

test('a tool defined with a zod schema and an async execute is validated and may answer with any JSON value', async () => {
  const weather = defineTool({
    name: 'get_weather',
    description: 'Current temperature of a city',
    parameters: z.object({ city: z.string().min(2), days: z.number().int().positive().optional() }),
    execute: async ({ city }) => ({ city, celsius: 21 }),
  });
  assert.deepEqual(weather.tool.parameters.required, ['city']);
  assert.deepEqual(weather.tool.parameters.properties.city, { type: 'string', minLength: 2 });
  const count = defineTool({ name: 'count', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] }, execute: ({ text }) => String(text).length });
  const executor = createToolExecutor([weather, count]);
  assert.deepEqual(await executor.call('get_weather', { city: 'Oslo' }), { ok: true, content: '{"city":"Oslo","celsius":21}', value: { city: 'Oslo', celsius: 21 } });
  assert.deepEqual(await executor.call('count', { text: 'abc' }), { ok: true, content: '3', value: 3 });
  const refused = await executor.call('get_weather', { city: 'O', days: -1 });
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.error, /\/city: expected a string of at least 2 characters/);
  assert.match(refused.ok ? '' : refused.error, /\/days: expected a number > 0, got -1/);
});

test('unusable definitions are refused with the tool name', () => {
  assert.throws(() => defineTool({ name: 'x', parameters: { type: 'strin' }, execute: () => 1 }), /defineTool 'x': parameters \/type: unknown type name 'strin'/);
  assert.throws(() => defineTool({ name: '', parameters: {}, execute: () => 1 }), /"name" must be a non-empty string/);
});
