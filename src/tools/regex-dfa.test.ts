import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../util/random.js';
import { compileMatcher, compilePattern, PatternError, type PatternDfa } from './regex-dfa.js';

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

test('the matcher agrees with the regular expression on any string, Unicode and control characters included', () => {
  const random = seededRandom(5);
  const patterns = [...PATTERNS, '^[а-я]+$', '^\\S+$', '^[^a]$', '^.$', 'é|ü', '^\\s*$', '^[\\u00e0-\\u00ff]{2}$', '^😀+$', '^[^\\d]+$'];
  const characters = [...ALPHABET, 'а', 'я', 'é', 'ü', '\n', '\u2028', '\u00a0', '\t', '😀', '"', '\\', '\u0000'];
  for (const pattern of patterns) {
    const matcher = compileMatcher(pattern);
    const regex = new RegExp(pattern, 'u');
    for (let n = 0; n < 400; n++) {
      const text = Array.from({ length: Math.floor(random() * 8) }, () => characters[Math.floor(random() * characters.length)]).join('');
      assert.equal(matcher.test(text), regex.test(text), `/${pattern}/ on ${JSON.stringify(text)}`);
    }
  }
});

test('patterns that make a backtracking engine take seconds match in linear time', () => {
  const start = performance.now();
  for (const pattern of ['^(a+)+$', '^(a|a)*$', '^(a|aa)+$', '^(.*a){12}$']) {
    const matcher = compileMatcher(pattern);
    assert.equal(matcher.test('a'.repeat(5000) + '!'), false);
  }
  assert.ok(performance.now() - start < 100);
  assert.throws(() => compileMatcher('^((a{1000}){1000})$'), /more than 20000 automaton states/);
});
