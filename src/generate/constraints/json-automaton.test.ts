import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonSchema } from '../../tools/types.js';
import { JsonAutomaton } from './json-automaton.js';
import { UnsupportedSchemaError } from './json-schema-nodes.js';

const weather: JsonSchema = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    days: { type: 'integer', minimum: 1, maximum: 14 },
    units: { enum: ['metric', 'imperial'] },
    point: {
      type: 'object',
      properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number' } },
      required: ['lat', 'lon'],
    },
    tags: { type: 'array', items: { type: 'string', maxLength: 2 }, minItems: 1, maxItems: 2 },
    note: { type: ['string', 'null'] },
    extra: { description: 'untyped: any scalar' },
    urgent: { type: 'boolean' },
  },
  required: ['city', 'days'],
};
const automaton = new JsonAutomaton(weather);
const bytes = (text: string | number[]): Uint8Array => (typeof text === 'string' ? new TextEncoder().encode(text) : Uint8Array.from(text));
/** Whether the whole text is a complete document the schema accepts. */
const accepts = (text: string | number[], a = automaton): boolean => {
  const state = a.advanceBytes(a.initial(), bytes(text));
  return state !== undefined && a.isComplete(state);
};
/** Whether the text can still be continued into a valid document. */
const viable = (text: string | number[], a = automaton): boolean => a.advanceBytes(a.initial(), bytes(text)) !== undefined;

test('accepts conforming documents with keys in any order and one space after : and ,', () => {
  assert.ok(accepts('{"city":"Paris","days":3}'));
  assert.ok(accepts('{"days": 14, "city": "Paris", "units": "metric"}'));
  assert.ok(accepts('{"city":"","days":1,"point":{"lat":-89.5,"lon":2.25},"tags":["a","bc"],"note":null,"extra":true,"urgent":false}'));
  assert.ok(accepts('{"city":"x","days":2,"note":"n","extra":-0.5}'));
});

test('required keys, unknown keys and repeated keys are enforced', () => {
  assert.ok(!viable('{"city":"Paris"}'));
  assert.ok(!viable('{"co'));
  assert.ok(!viable('{"city":"a","city"'));
  assert.ok(!viable('{"city":"a",}'));
  assert.ok(!viable('{"city":"a",  "days":1}'), 'at most one space');
});

test('enums, booleans and nulls match their literal texts only', () => {
  assert.ok(!viable('{"city":"a","days":1,"units":"kelvin"'));
  assert.ok(!viable('{"city":"a","days":1,"urgent":tru}'));
  assert.ok(!viable('{"city":"a","days":1,"note":nul}'));
});

test('numbers: bounds, no leading zeros, no dangling point, no exponent', () => {
  assert.ok(!viable('{"city":"a","days":15'), '15 > maximum 14 is cut at its second digit');
  assert.ok(!viable('{"city":"a","days":0'));
  assert.ok(!viable('{"city":"a","days":-'));
  assert.ok(!viable('{"city":"a","days":1.'), 'integers have no fraction');
  assert.ok(!viable('{"city":"a","days":01'));
  assert.ok(!viable('{"city":"a","days":1,"point":{"lat":90.5'));
  assert.ok(!viable('{"city":"a","days":1,"point":{"lat":1.}'));
  assert.ok(!viable('{"city":"a","days":1,"point":{"lat":1e5'));
  assert.ok(accepts('{"city":"a","days":1,"point":{"lat":90,"lon":-180.125}}'));
});

test('strings: escapes, UTF-8 and code-point lengths', () => {
  assert.ok(accepts('{"city":"a\\n\\"\\u00e9\\/","days":1}'));
  assert.ok(!viable('{"city":"\\ud83d'), 'a lone surrogate escape');
  assert.ok(!viable('{"city":"\\x'));
  assert.ok(!viable([...bytes('{"city":"'), 0x0a]), 'raw control character');
  assert.ok(!viable([...bytes('{"city":"'), 0xc0, 0x80]), 'overlong UTF-8');
  assert.ok(!viable([...bytes('{"city":"'), 0xed, 0xa0, 0x80]), 'UTF-8 encoded surrogate');
  assert.ok(accepts('{"city":"é中😀","days":1}'));
  assert.ok(accepts('{"city":"a","days":1,"tags":["é中"]}'), 'maxLength 2 counts code points, not bytes');
  assert.ok(!viable('{"city":"a","days":1,"tags":["é中x'));
});

test('arrays: minItems, maxItems, no trailing comma', () => {
  assert.ok(!viable('{"city":"a","days":1,"tags":[]'));
  assert.ok(!viable('{"city":"a","days":1,"tags":["a","b","c"'));
  assert.ok(!viable('{"city":"a","days":1,"tags":["a",]'));
  assert.ok(accepts('{"city":"a","days":1,"tags":["a", "b"]}'));
});

test('after the document closes nothing more is accepted', () => {
  const done = automaton.advanceBytes(automaton.initial(), bytes('{"city":"a","days":1}'));
  assert.equal(done, null);
  assert.equal(automaton.advance(done!, 0x20), undefined);
  assert.ok(automaton.isComplete(done!));
});

test('minBytesToComplete is the length of the shortest completion', () => {
  const s = (text: string): number => automaton.minBytesToComplete(automaton.advanceBytes(automaton.initial(), bytes(text))!);
  assert.equal(s(''), '{"city":"","days":1}'.length);
  assert.equal(s('{"city":"Pa'), '","days":1}'.length);
  assert.equal(s('{"days":'), '1,"city":""}'.length);
  assert.equal(s('{"city":"","days":1,"po'), 'int":{"lat":0,"lon":0}}'.length);
  assert.equal(s('{"city":"","days":1,"tags":['), '""]}'.length);
  assert.equal(s('{"city":"\\u0'), '000","days":1}'.length);
  const bounded = new JsonAutomaton({ type: 'object', properties: { x: { type: 'number', minimum: 0.25, maximum: 0.75 } }, required: ['x'] });
  assert.equal(bounded.minBytesToComplete(bounded.initial()), '{"x":0.3}'.length);
});

test('schemas the automaton cannot promise are refused with the schema path', () => {
  assert.throws(
    () => new JsonAutomaton({ type: 'object', properties: { code: { type: 'string', pattern: '^(a)\\1$' } } }),
    (err: unknown) => err instanceof UnsupportedSchemaError && /schema \/properties\/code: pattern: backreferences are not supported/.test(err.message),
  );
  assert.throws(
    () => new JsonAutomaton({ anyOf: [{ type: 'object' }, { type: 'object', properties: { a: { type: 'string' } } }] }),
    /schema \(root\): alternatives that can start with the same character '\{' are not supported/,
  );
  assert.throws(() => new JsonAutomaton({ type: 'integer', minimum: 2.2, maximum: 2.8 }), /no integer .* lies in \[2.2, 2.8\]/);
  assert.throws(() => new JsonAutomaton({ enum: ['a'], type: 'integer' }), /no enum\/const value satisfies the rest of the schema/);
});
