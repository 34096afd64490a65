import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeParameters, normalizeSchema, resolveTypeName, SchemaError } from './schema.js';

test('non-standard type names map onto JSON Schema types', () => {
  const cases: [string, ReturnType<typeof resolveTypeName>][] = [
    ['dict', { type: 'object' }],
    ['HashMap', { type: 'object' }],
    ['float', { type: 'number' }],
    ['double', { type: 'number' }],
    ['long', { type: 'integer' }],
    ['int', { type: 'integer' }],
    ['str', { type: 'string' }],
    ['String', { type: 'string' }],
    ['char', { type: 'string' }],
    ['bool', { type: 'boolean' }],
    ['Boolean', { type: 'boolean' }],
    ['tuple', { type: 'array' }],
    ['ArrayList', { type: 'array' }],
    ['STRING', { type: 'string' }],
    ['NUMBER', { type: 'number' }],
    ['ENUM', { type: 'string' }],
    ['DATE (YYYY-MM-DD)', { type: 'string', format: 'date' }],
    ['TIME (24-hour HH:MM)', { type: 'string', format: 'time' }],
    ['any', {}],
    ['', {}],
  ];
  for (const [name, expected] of cases) assert.deepEqual(resolveTypeName(name, ''), expected, name);
  assert.throws(() => resolveTypeName('quaternion', '/type'), new SchemaError('/type', "unknown type name 'quaternion' (expected a JSON Schema type or a known alias such as dict, float, str)"));
});

test('a schema keeps the supported keywords and drops the rest', () => {
  assert.deepEqual(
    normalizeSchema({ type: 'string', title: 'Name', examples: ['x'], minLength: 1, pattern: '^a', format: 'email', description: 'd' }),
    { type: 'string', title: 'Name', description: 'd', format: 'email', minLength: 1, pattern: '^a' },
  );
  assert.deepEqual(normalizeSchema({ type: ['string', 'null', 'str'] }), { type: ['string', 'null'] });
  assert.deepEqual(normalizeSchema({ anyOf: [{ type: 'int' }, { type: 'str' }] }), { anyOf: [{ type: 'integer' }, { type: 'string' }] });
  assert.deepEqual(normalizeSchema(true), {});
});

test("an enum's names (enumNames, as MCP writes them) stay beside it, one per value", () => {
  assert.deepEqual(normalizeSchema({ type: 'string', enum: ['ha', 'acre'], enumNames: ['hectares', 'acres'] }), { type: 'string', enum: ['ha', 'acre'], enumNames: ['hectares', 'acres'] });
  assert.throws(() => normalizeSchema({ enum: ['ha', 'acre'], enumNames: ['hectares'] }, '/p'), new SchemaError('/p/enumNames', "enumNames names the enum's values one by one: 1 names for 2 enum values"));
  assert.throws(() => normalizeSchema({ enum: ['ha'], enumNames: [3] }, '/p'), new SchemaError('/p/enumNames', 'enumNames must be an array of strings'));
});

test('nested properties without a type are objects; a tuple\'s items may be any of its entries, and the tuple is reported for the call check', () => {
  assert.deepEqual(normalizeSchema({ properties: { a: { type: 'float' } } }), { type: 'object', properties: { a: { type: 'number' } } });
  const dropped: string[] = [];
  const tuple = normalizeSchema({ type: 'tuple', items: [{ type: 'int' }, { type: 'str' }] }, '/p', (pointer, keyword, checkedAtCall) => dropped.push(`${pointer} ${keyword} ${checkedAtCall}`));
  assert.deepEqual(tuple, { type: 'array', items: { anyOf: [{ type: 'integer' }, { type: 'string' }] } });
  assert.deepEqual(dropped, ['/p/items items true']);
  assert.deepEqual(normalizeSchema({ type: 'tuple', items: [{ type: 'int' }] }), { type: 'array', items: { type: 'integer' } });
  // Entries the decoder could not tell apart collapse: repeats go, and number covers integer (a pair of coordinates).
  assert.deepEqual(normalizeSchema({ type: 'array', items: [{ type: 'number' }, { type: 'number' }] }, '/p', () => {}), { type: 'array', items: { type: 'number' } });
  assert.deepEqual(normalizeSchema({ type: 'array', items: [{ type: 'integer' }, { type: 'number' }] }, '/p', () => {}), { type: 'array', items: { type: 'number' } });
});

test('malformed keywords are errors that point at the keyword', () => {
  assert.throws(() => normalizeSchema({ type: 'object', properties: { n: { minLength: -1 } } }), new SchemaError('/properties/n/minLength', 'expected a non-negative integer, got -1'));
  assert.throws(() => normalizeSchema({ pattern: '(' }), new SchemaError('/pattern', 'pattern "(" is not a valid regular expression'));
  assert.throws(() => normalizeSchema({ enum: 'a' }), new SchemaError('/enum', 'enum must be an array'));
  assert.throws(() => normalizeSchema('string'), new SchemaError('', 'expected a schema object, got string'));
});

test('parameters must be an object schema whose required names are declared', () => {
  assert.deepEqual(normalizeParameters(undefined), { type: 'object', properties: {}, required: [] });
  assert.deepEqual(normalizeParameters({ type: 'dict', properties: { a: { type: 'int' } }, required: ['a', 'a'] }), {
    type: 'object',
    properties: { a: { type: 'integer' } },
    required: ['a'],
  });
  assert.throws(() => normalizeParameters({ type: 'array' }, '/parameters'), new SchemaError('/parameters/type', 'parameters must be an object schema, got type "array"'));
  assert.throws(() => normalizeParameters({ type: 'object', required: ['b'] }, '/parameters'), new SchemaError('/parameters/required', "required parameter 'b' is not declared in properties"));
});
