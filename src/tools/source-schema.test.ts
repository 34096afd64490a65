import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importOpenAI } from './import/functions.js';
import { importOpenApi } from './import/openapi.js';
import { FunctionExecutor } from './executors/registry.js';
import { parseCatalog } from './catalog.js';

const TOOL = {
  type: 'function',
  function: {
    name: 'book',
    parameters: {
      type: 'object',
      $defs: { seats: { type: 'integer', exclusiveMinimum: 0, multipleOf: 2 } },
      properties: {
        seats: { $ref: '#/$defs/seats' },
        names: { type: 'array', items: { type: 'string' }, uniqueItems: true },
        when: { allOf: [{ type: 'string' }, { minLength: 10 }] },
        code: { type: 'string', not: { const: 'XXX' } },
      },
      required: ['seats'],
    },
  },
};

test('an OpenAI tool keeps $ref targets and every keyword the validator enforces, and warns for the rest with its pointer', () => {
  const result = importOpenAI({ kind: 'json', value: [TOOL] }, 'tools.json');
  assert.deepEqual(result.issues, []);
  const tool = result.tools[0]!;
  assert.deepEqual(tool.parameters.properties.seats, { type: 'integer', exclusiveMinimum: 0, multipleOf: 2 });
  assert.deepEqual(tool.parameters.properties.names, { type: 'array', items: { type: 'string' }, uniqueItems: true });
  assert.deepEqual(tool.parameters.properties.when, { allOf: [{ type: 'string' }, { minLength: 10 }] });
  assert.deepEqual(result.warnings, [
    {
      file: 'tools.json',
      location: '/0/function/parameters/properties/code/not',
      reason: "keyword 'not' is outside what toolken's validator and decoder enforce; calls are checked against the source schema",
    },
  ]);
  assert.equal((tool.sourceParameters?.properties as { seats: unknown }).seats !== undefined, true);
  // The catalog written with the source schema loads back.
  assert.deepEqual(parseCatalog({ version: 1, tools: [tool] }, 'c.json').tools[0]!.sourceParameters, tool.sourceParameters);
});

test('a format ajv-formats defines is checked at the call, one it does not is warned about as unchecked; a tuple is checked position by position', async () => {
  const tool = {
    type: 'function',
    function: {
      name: 'mail',
      parameters: {
        type: 'object',
        properties: {
          to: { type: 'string', format: 'email' },
          phone: { type: 'string', format: 'phone-number' },
          count: { type: 'integer', format: 'int32' },
          point: { type: 'array', items: [{ type: 'number' }, { type: 'string' }] },
        },
      },
    },
  };
  const result = importOpenAI({ kind: 'json', value: [tool] }, 'tools.json');
  assert.deepEqual((result.warnings ?? []).map((w) => [w.location, w.reason]), [
    ['/0/function/parameters/properties/to/format', "keyword 'format' is outside what toolken's validator and decoder enforce; calls are checked against the source schema"],
    ['/0/function/parameters/properties/phone/format', "keyword 'format' is not enforced by toolken's validator, decoder or call check: the tool gets such values unchecked"],
    ['/0/function/parameters/properties/point/items', "keyword 'items' is outside what toolken's validator and decoder enforce; calls are checked against the source schema"],
  ]);
  const executor = new FunctionExecutor().register(result.tools[0]!, () => 'sent');
  const refused = await executor.call('mail', { point: [1, 2] });
  assert.match(refused.ok ? '' : refused.error, /\/point\/1: must be string \(source schema #\/properties\/point\/items\/1\/type\)/);
  const badAddress = await executor.call('mail', { to: 'not an address', point: [1, 'a'] });
  assert.match(badAddress.ok ? '' : badAddress.error, /\/to: must match format "email"/);
  assert.deepEqual(await executor.call('mail', { to: 'ada@example.org', phone: 'any text', point: [1, 'a'] }), { ok: true, content: 'sent' });
});

test('nothing the source schema forbids reaches the tool', async () => {
  const tool = importOpenAI({ kind: 'json', value: [TOOL] }, 'tools.json').tools[0]!;
  const reached: unknown[] = [];
  const executor = new FunctionExecutor().register(tool, (args) => {
    reached.push(args);
    return 'booked';
  });
  const refused = async (args: Record<string, unknown>, message: RegExp): Promise<void> => {
    const observation = await executor.call('book', args as never);
    assert.equal(observation.ok, false, JSON.stringify(args));
    assert.match(observation.ok ? '' : observation.error, message);
  };
  await refused({ seats: 0 }, /\/seats: expected a number > 0, got 0/);
  await refused({ seats: 3 }, /\/seats: expected a multiple of 2, got 3/);
  await refused({ seats: 2, names: ['a', 'a'] }, /\/names\/1: expected unique items, but item 1 equals item 0/);
  await refused({ seats: 2, when: 'soon' }, /\/when: expected a string of at least 10 characters/);
  await refused({ seats: 2, code: 'XXX' }, /\/code: must NOT be valid \(source schema #\/properties\/code\/not\)/);
  assert.deepEqual(reached, []);
  assert.deepEqual(await executor.call('book', { seats: 4, names: ['a', 'b'], when: '2025-01-01', code: 'ABC' }), { ok: true, content: 'booked' });
});

test('an OpenAPI operation whose schemas use keywords outside the subset warns and checks calls against them', async () => {
  const doc = {
    openapi: '3.0.3',
    paths: {
      '/orders': {
        post: {
          operationId: 'order',
          parameters: [{ name: 'sku', in: 'query', required: true, schema: { type: 'string', not: { enum: ['recalled'] } } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { qty: { type: 'integer', minimum: 1 } }, required: ['qty'] } } } },
        },
      },
    },
  };
  const result = importOpenApi({ kind: 'json', value: doc }, 'api.json');
  assert.deepEqual(result.warnings?.map((w) => w.location), ['/paths/~1orders/post/parameters/0/schema/not']);
  const executor = new FunctionExecutor().register(result.tools[0]!, () => 'ordered');
  const refused = await executor.call('order', { sku: 'recalled', qty: 1 });
  assert.equal(refused.ok, false);
  assert.match(refused.ok ? '' : refused.error, /\/sku: must NOT be valid/);
  assert.deepEqual(await executor.call('order', { sku: 'ok', qty: 2 }), { ok: true, content: 'ordered' });
});
