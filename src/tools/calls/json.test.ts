import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JsonSyntaxError, parseJson } from './json.js';
import { pyRepr, pyType } from './values.js';

test('integers parse as Python ints and numbers with a fraction or exponent as floats', () => {
  assert.equal(pyType(parseJson('4')), 'int');
  assert.equal(pyType(parseJson('4.0')), 'float');
  assert.equal(pyType(parseJson('4e0')), 'float');
  assert.equal(parseJson('12345678901234567890'), 12345678901234567890n);
});

test('objects parse as dicts in key order, with escapes decoded', () => {
  assert.equal(pyRepr(parseJson('{"b": [1, 2.5, null, true], "a": "x\\u00e9\\n"}')), "{'b': [1, 2.5, None, True], 'a': 'x\u00e9\\n'}");
});

test('malformed JSON raises JsonSyntaxError with the offset', () => {
  assert.throws(() => parseJson('{"a": 1,}'), (err: unknown) => err instanceof JsonSyntaxError && err.offset === 8);
  assert.throws(() => parseJson('[1] x'), JsonSyntaxError);
  assert.throws(() => parseJson("{'a': 1}"), JsonSyntaxError);
});
