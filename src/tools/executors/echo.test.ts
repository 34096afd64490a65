import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tool } from '../types.js';
import { createEchoExecutor } from './echo.js';

const weather: Tool = {
  id: 'Weather&&current', name: 'current_for_weather', description: 'Current weather of a city.',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

test('a valid call succeeds and its observation repeats the call', async () => {
  const result = await createEchoExecutor([weather]).call(weather.id, { city: 'Lyon' });
  assert.ok(result.ok);
  assert.deepEqual(JSON.parse(result.content), { api: 'current_for_weather', input: { city: 'Lyon' }, note: 'echo environment: the call was made; no response is recorded' });
});

test('arguments that break the schema and unknown tools are refused, as live calls are', async () => {
  const executor = createEchoExecutor([weather]);
  const invalid = await executor.call(weather.id, { town: 'Lyon' });
  assert.equal(invalid.ok, false);
  assert.equal(!invalid.ok && invalid.kind, 'invalid-arguments');
  const unknown = await executor.call('Nope&&nothing', {});
  assert.equal(!unknown.ok && unknown.kind, 'unknown-tool');
});
