import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonAutomaton } from './json-automaton.js';
import { UnsupportedSchemaError } from './json-schema-nodes.js';

test('a schema pattern is enforced byte by byte, with its length bounds, and unsatisfiable bounds are refused', () => {
  const date = new JsonAutomaton({ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
  assert.equal(date.minBytesToComplete(date.initial()), '"2024-01-31"'.length);
  const good = date.advanceBytes(date.initial(), new TextEncoder().encode('"2024-01-31"'));
  assert.equal(good, null);
  assert.equal(date.advanceBytes(date.initial(), new TextEncoder().encode('"2024-1-')), undefined);
  assert.equal(date.advanceBytes(date.initial(), new TextEncoder().encode('"2024-01-3"')), undefined);

  const letters = new JsonAutomaton({ type: 'string', pattern: '^[a-c]+$', minLength: 2, maxLength: 3 });
  const run = (text: string) => letters.advanceBytes(letters.initial(), new TextEncoder().encode(text));
  assert.equal(run('"ab"'), null);
  assert.equal(run('"abc"'), null);
  assert.equal(run('"a"'), undefined);
  assert.equal(run('"abca'), undefined);
  // Unanchored: anything containing "ab", so a 3-character minimum can still be met after "ab".
  const contains = new JsonAutomaton({ type: 'string', pattern: 'ab', maxLength: 3 });
  assert.equal(contains.advanceBytes(contains.initial(), new TextEncoder().encode('"xxa')), undefined);
  assert.notEqual(contains.advanceBytes(contains.initial(), new TextEncoder().encode('"xa')), undefined);

  assert.throws(
    () => new JsonAutomaton({ type: 'object', properties: { code: { type: 'string', pattern: '^[A-Z]{4}$', maxLength: 3 } } }),
    (err: unknown) => err instanceof UnsupportedSchemaError && /schema \/properties\/code: no string of 0..3 generable characters matches/.test(err.message),
  );
  assert.throws(
    () => new JsonAutomaton({ type: 'string', pattern: '(?<=x)y' }),
    (err: unknown) => err instanceof UnsupportedSchemaError && /schema \(root\): pattern: lookaround assertions are not supported/.test(err.message),
  );
});

test('with unfollowable patterns ignored, such strings decode without their pattern and the others keep theirs, at any depth', () => {
  const schema = {
    type: 'object',
    properties: {
      date: { type: 'string', pattern: '^\\d{4}$' },
      list: { type: 'array', items: { type: 'string', pattern: '^(?!x)' } },
      short: { type: 'string', pattern: '^[A-Z]{4}$', maxLength: 3 },
    },
  } as const;
  const automaton = new JsonAutomaton(schema, { unfollowablePatterns: 'ignore' });
  const run = (text: string) => automaton.advanceBytes(automaton.initial(), new TextEncoder().encode(text));
  assert.equal(run('{"date":"2024"}'), null);
  assert.equal(run('{"date":"24"}'), undefined);
  assert.equal(run('{"list":["xy"]}'), null);
  assert.equal(run('{"short":"ab"}'), null);
  assert.throws(() => new JsonAutomaton(schema), UnsupportedSchemaError);
});
