import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues, isJsonValue, jsonEqual, validateJson } from './validate.js';
import type { JsonSchema } from './types.js';

const weather: JsonSchema = {
  type: 'object',
  properties: {
    city: { type: 'string', minLength: 2, maxLength: 20 },
    days: { type: 'integer', minimum: 1, maximum: 14 },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
  },
  required: ['city'],
  additionalProperties: false,
};

test('a conforming value has no issues', () => {
  assert.deepEqual(validateJson(weather, { city: 'Paris', days: 3, unit: 'celsius' }), []);
});

test('a missing required property is reported at its own path', () => {
  assert.deepEqual(validateJson(weather, { days: 3 }), [{ path: '/city', message: "missing required property 'city'" }]);
});

test('integer rejects a fractional number and names expected vs got', () => {
  assert.deepEqual(validateJson(weather, { city: 'Paris', days: 2.5 }), [{ path: '/days', message: 'expected integer, got number 2.5' }]);
});

test('number accepts integers', () => {
  assert.deepEqual(validateJson({ type: 'number' }, 3), []);
});

test('a wrong type names both types and the value', () => {
  assert.deepEqual(validateJson(weather, { city: 42 }), [{ path: '/city', message: 'expected string, got number 42' }]);
  assert.deepEqual(validateJson({ type: ['string', 'null'] }, true), [{ path: '', message: 'expected string or null, got boolean true' }]);
});

test('additionalProperties false rejects unknown keys and lists the allowed ones', () => {
  assert.deepEqual(validateJson(weather, { city: 'Paris', country: 'FR' }), [
    { path: '/country', message: "unexpected property 'country' (allowed: city, days, unit)" },
  ]);
});

test('additionalProperties as a schema validates the extra values', () => {
  const schema: JsonSchema = { type: 'object', additionalProperties: { type: 'number' } };
  assert.deepEqual(validateJson(schema, { a: 1, b: 'x' }), [{ path: '/b', message: 'expected number, got string "x"' }]);
});

test('enum and const compare JSON values structurally', () => {
  assert.deepEqual(validateJson(weather, { city: 'Paris', unit: 'kelvin' }), [
    { path: '/unit', message: 'expected one of "celsius", "fahrenheit", got "kelvin"' },
  ]);
  assert.deepEqual(validateJson({ const: { a: [1, 2] } }, { a: [1, 2] }), []);
  assert.deepEqual(validateJson({ const: 1 }, 2), [{ path: '', message: 'expected constant 1, got 2' }]);
});

test('minimum / maximum bound numbers inclusively', () => {
  assert.deepEqual(validateJson(weather, { city: 'Paris', days: 14 }), []);
  assert.deepEqual(validateJson(weather, { city: 'Paris', days: 0 }), [{ path: '/days', message: 'expected a number >= 1, got 0' }]);
  assert.deepEqual(validateJson(weather, { city: 'Paris', days: 15 }), [{ path: '/days', message: 'expected a number <= 14, got 15' }]);
});

test('minLength / maxLength count code points', () => {
  assert.deepEqual(validateJson({ type: 'string', maxLength: 2 }, '😀😀'), []);
  assert.deepEqual(validateJson(weather, { city: 'P' }), [{ path: '/city', message: 'expected a string of at least 2 characters, got 1' }]);
  assert.deepEqual(validateJson({ type: 'string', maxLength: 3 }, 'abcd'), [{ path: '', message: 'expected a string of at most 3 characters, got 4' }]);
});

test('pattern is an unanchored regular expression search', () => {
  assert.deepEqual(validateJson({ type: 'string', pattern: '^[A-Z]{3}$' }, 'EUR'), []);
  assert.deepEqual(validateJson({ type: 'string', pattern: '\\d' }, 'abc1'), []);
  assert.deepEqual(validateJson({ type: 'string', pattern: '^[A-Z]{3}$' }, 'euro'), [
    { path: '', message: 'expected a string matching /^[A-Z]{3}$/, got "euro"' },
  ]);
});

test('an invalid pattern in the schema is reported instead of throwing', () => {
  assert.deepEqual(validateJson({ type: 'string', pattern: '(' }, 'x'), [{ path: '', message: 'schema pattern "(" cannot be checked safely: /(/ is not a valid regular expression' }]);
});

test('nested arrays and objects report pointer paths with ~ and / escaped', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: {
      'a/b': {
        type: 'array',
        minItems: 1,
        items: { type: 'object', properties: { 'x~y': { type: 'boolean' } }, required: ['x~y'] },
      },
    },
  };
  assert.deepEqual(validateJson(schema, { 'a/b': [{ 'x~y': true }, { 'x~y': 'no' }, {}] }), [
    { path: '/a~1b/1/x~0y', message: 'expected boolean, got string "no"' },
    { path: '/a~1b/2/x~0y', message: "missing required property 'x~y'" },
  ]);
  assert.deepEqual(validateJson(schema, { 'a/b': [] }), [{ path: '/a~1b', message: 'expected at least 1 items, got 0' }]);
});

test('maxItems bounds arrays', () => {
  assert.deepEqual(validateJson({ type: 'array', maxItems: 1 }, [1, 2]), [{ path: '', message: 'expected at most 1 items, got 2' }]);
});

test('anyOf passes when some branch matches and explains every branch otherwise', () => {
  const schema: JsonSchema = { anyOf: [{ type: 'string' }, { type: 'integer', minimum: 0 }] };
  assert.deepEqual(validateJson(schema, 'x'), []);
  assert.deepEqual(validateJson(schema, 5), []);
  assert.deepEqual(validateJson(schema, -1), [
    {
      path: '',
      message: 'expected a value matching at least one of 2 alternatives (#0: expected string, got number -1; #1: expected a number >= 0, got -1)',
    },
  ]);
});

test('oneOf fails when no branch or more than one branch matches', () => {
  const schema: JsonSchema = { oneOf: [{ type: 'number' }, { type: 'integer' }] };
  assert.deepEqual(validateJson(schema, 1.5), []);
  assert.deepEqual(validateJson(schema, 2), [{ path: '', message: 'expected a value matching exactly one of 2 alternatives, matched 2' }]);
  assert.equal(validateJson(schema, 'a')[0]?.message.startsWith('expected a value matching exactly one of 2 alternatives, matched none'), true);
});

test('non-JSON values (undefined, NaN, functions) are rejected', () => {
  assert.deepEqual(validateJson({}, undefined), [{ path: '', message: 'expected a JSON value, got undefined' }]);
  assert.deepEqual(validateJson({ type: 'number' }, Number.NaN), [{ path: '', message: 'expected a JSON value, got number' }]);
});

test('a property explicitly set to undefined counts as missing', () => {
  assert.deepEqual(validateJson(weather, { city: undefined }), [{ path: '/city', message: "missing required property 'city'" }]);
});

test('formatIssues renders one line per issue with (root) for the empty path', () => {
  assert.equal(
    formatIssues([
      { path: '', message: 'a' },
      { path: '/x', message: 'b' },
    ]),
    '(root): a\n/x: b',
  );
});

test('jsonEqual ignores key order and isJsonValue rejects nested non-JSON', () => {
  assert.equal(jsonEqual({ a: 1, b: [true] }, { b: [true], a: 1 }), true);
  assert.equal(jsonEqual([1], [1, 2]), false);
  assert.equal(isJsonValue({ a: [1, 'x', null] }), true);
  assert.equal(isJsonValue({ a: [1, () => 0] }), false);
});

test('schema patterns are matched in linear time, and patterns outside the linear subset refuse the value', () => {
  const start = performance.now();
  assert.deepEqual(validateJson({ type: 'string', pattern: '^(a+)+$' }, 'a'.repeat(29) + '!'), [
    { path: '', message: `expected a string matching /^(a+)+$/, got "${'a'.repeat(29)}!"` },
  ]);
  assert.ok(performance.now() - start < 100);
  assert.deepEqual(validateJson({ type: 'string', pattern: '^[а-я]+$' }, 'привет'), []);
  assert.deepEqual(validateJson({ type: 'string', pattern: '^(?!x)' }, 'y'), [
    { path: '', message: 'schema pattern "^(?!x)" cannot be checked safely: lookaround assertions are not supported (at offset 2 of /^(?!x)/)' },
  ]);
});

test('alternatives nested so that checking would take exponential time stop at the check budget', () => {
  let schema: JsonSchema = { type: 'string', minLength: 5 };
  for (let i = 0; i < 40; i++) schema = { anyOf: [schema, { allOf: [schema] }] };
  validateJson(schema, 'y'); // compiles the validator's code paths, so the time below is the work itself
  const start = performance.now();
  assert.deepEqual(validateJson(schema, 'x'), [
    { path: '', message: "validation stopped after 10000 checks inside alternatives: the schema's anyOf / oneOf / allOf branches multiply too much to check this value" },
  ]);
  assert.ok(performance.now() - start < 100);
  assert.deepEqual(validateJson(schema, 'xxxxx'), []);
  // Outside alternatives nothing is counted: a long argument list validates in full.
  assert.deepEqual(validateJson({ type: 'array', items: { type: 'integer' } }, Array.from({ length: 50_000 }, (_, i) => i)), []);
});
