import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../util/random.js';
import { JsonAutomaton } from './json-automaton.js';
import { UnsupportedSchemaError } from './json-schema-nodes.js';
import { compilePattern, PatternError, type PatternDfa } from './regex-dfa.js';

/** Whether the automaton accepts the whole string (printable ASCII without " and \). */
function accepts(dfa: PatternDfa, text: string): boolean {
  let state = 0;
  for (const c of text) {
    state = dfa.transitions[state * 128 + c.charCodeAt(0)] ?? -1;
    if (state < 0) return false;
  }
  return dfa.accepting[state] === 1;
}

const PATTERNS = [
  '^\\d{4}-\\d{2}-\\d{2}$', '^[A-Z]{3}$', '^[a-z0-9._-]+@[a-z]+\\.[a-z]{2,}$', '^(metric|imperial)$', 'ab', 'a|^b|c$',
  '^(?:\\+?\\d{1,3}[ -])?\\d{3,4}$', '^[^0-9]*$', '^\\w+\\s\\w+$', '^#[0-9a-fA-F]{6}$', '^(?<h>[01]\\d|2[0-3]):[0-5]\\d$',
  '^x{2,}y?$', '^.{3}$', '^[\\d\\-]+$', '^a+?b*?$', '^(ab|a)(bc|c)$', '^[\\x41-\\x43]\\u0031$',
];
const ALPHABET = 'abcxyzABC0129-_.:@#+ /*?()[]{}|^$\'';

test('the automaton accepts exactly the strings the regular expression matches (over the generable characters)', () => {
  const random = seededRandom(11);
  for (const pattern of PATTERNS) {
    const dfa = compilePattern(pattern);
    const regex = new RegExp(pattern, 'u');
    const samples: string[] = ['', 'ab', '2024-01-31', 'metric', 'abc', '12:59', '#a0B1c2', 'xx', 'xxy', 'a-b', 'abc', 'A1'];
    // Random strings, and strings walked through the automaton itself (which mostly match).
    for (let n = 0; n < 300; n++) samples.push(Array.from({ length: Math.floor(random() * 9) }, () => ALPHABET[Math.floor(random() * ALPHABET.length)]).join(''));
    for (let n = 0; n < 200; n++) {
      let state = 0;
      let text = '';
      for (let step = 0; step < 14 && !(dfa.accepting[state] === 1 && random() < 0.3); step++) {
        const next = [...Array(128).keys()].filter((b) => dfa.transitions[state * 128 + b]! >= 0);
        const b = next[Math.floor(random() * next.length)]!;
        text += String.fromCharCode(b);
        state = dfa.transitions[state * 128 + b]!;
      }
      samples.push(text);
    }
    for (const text of samples) assert.equal(accepts(dfa, text), regex.test(text), `/${pattern}/ on ${JSON.stringify(text)}`);
  }
});

test('patterns outside the regular subset are refused with the reason and the offset', () => {
  assert.throws(() => compilePattern('^(?=a)b$'), /lookaround assertions are not supported \(at offset 2 of/);
  assert.throws(() => compilePattern('^(a)\\1$'), /backreferences are not supported/);
  assert.throws(() => compilePattern('\\bword'), /word boundaries/);
  assert.throws(() => compilePattern('a^b'), PatternError);
  assert.throws(() => compilePattern('(unclosed'), /is not a valid regular expression/);
  assert.throws(() => compilePattern('^\\n$'), /matches no string of printable characters/);
});

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
