import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecodeError, decodePythonCalls, parsePythonValue } from './python-syntax.js';
import { PyTuple, pyRepr } from './values.js';

/** Calls as `name(k=repr, ...)` strings, to compare whole decodes in one assertion. */
const show = (text: string): string[] => decodePythonCalls(text).map((c) => `${c.name}(${[...c.args].map(([k, v]) => `${k}=${pyRepr(v)}`).join(', ')})`);

describe('Python call decoding', () => {
  test('a bracketed list of calls with dotted names', () => {
    assert.deepEqual(show('[math.hypot(x=3, y=4), db.users.find(name="Ann")]'), ["math.hypot(x=3, y=4)", "db.users.find(name='Ann')"]);
  });

  test('a bare call and surrounding backticks, newlines and spaces are accepted', () => {
    assert.deepEqual(show("\n`f(a=1)` \n"), ['f(a=1)']);
  });

  test('a missing closing bracket is added, as the leaderboard does', () => {
    assert.deepEqual(show('[f(a=1)'), ['f(a=1)']);
  });

  test('literal values keep Python types: int, float, str, bool, None, list, tuple, dict', () => {
    const [call] = decodePythonCalls('f(i=1, x=1.0, e=2e3, s="a\\tb", t=True, n=None, l=[1, [2]], p=(1,), d={"k": {"z": -1}})');
    assert.equal(call!.args.get('i'), 1n);
    assert.equal(call!.args.get('x'), 1);
    assert.equal(call!.args.get('e'), 2000);
    assert.equal(call!.args.get('s'), 'a\tb');
    assert.equal(call!.args.get('t'), true);
    assert.equal(call!.args.get('n'), null);
    assert.equal(pyRepr(call!.args.get('l')!), '[1, [2]]');
    assert.ok(call!.args.get('p') instanceof PyTuple);
    assert.equal(pyRepr(call!.args.get('d')!), "{'k': {'z': -1}}");
  });

  test('string escapes, raw strings, triple quotes and implicit concatenation follow Python', () => {
    assert.equal(parsePythonValue(String.raw`"\x41\u00e9\n\q"`), 'A\u00e9\n\\q');
    assert.equal(parsePythonValue(String.raw`r"C:\new"`), 'C:\\new');
    assert.equal(parsePythonValue(`'''two\nlines'''`), 'two\nlines');
    assert.equal(parsePythonValue(`"ab" 'cd'`), 'abcd');
  });

  test('number forms: underscores, hex, octal, binary, leading-dot floats', () => {
    assert.equal(parsePythonValue('1_000'), 1000n);
    assert.equal(parsePythonValue('0x1F'), 31n);
    assert.equal(parsePythonValue('0o17'), 15n);
    assert.equal(parsePythonValue('0b101'), 5n);
    assert.equal(parsePythonValue('.5'), 0.5);
  });

  test('arithmetic on literals is computed with Python rules', () => {
    assert.equal(parsePythonValue('2**10'), 1024n);
    assert.equal(parsePythonValue('7/2'), 3.5);
    assert.equal(parsePythonValue('-7//2'), -4n);
    assert.equal(parsePythonValue('-7 % 3'), 2n);
    assert.equal(parsePythonValue('"ab" * 2'), 'abab');
    assert.equal(parsePythonValue('1.5 + 1'), 2.5);
  });

  test('names read as their identifier, calls without keywords and subscripts as their source text', () => {
    assert.equal(parsePythonValue('user_id'), 'user_id');
    assert.equal(parsePythonValue('datetime.now( )'), 'datetime.now()');
    assert.equal(parsePythonValue("get(1, 'x')"), "get(1, 'x')");
    assert.equal(parsePythonValue('rows[0]'), 'rows[0]');
  });

  test('a call with keywords as a value reads as a nested {name: {args}} dict', () => {
    assert.equal(pyRepr(parsePythonValue('geo.point(lat=1.5, lon=2)')), "{'geo.point': {'lat': 1.5, 'lon': 2}}");
  });

  test('positional arguments of a call are ignored', () => {
    assert.deepEqual(show('f(1, 2, b=3)'), ['f(b=3)']);
  });

  test('an empty list and an empty string decode to no calls', () => {
    assert.deepEqual(show('[]'), []);
    assert.deepEqual(show(''), []);
  });

  const rejects: readonly [string, string][] = [
    ['prose', 'I would call the weather tool.'],
    ['an unclosed call', 'f(a=1'],
    ['a quoted list of calls (a string, not a call)', "'[f(a=1)]'"],
    ['an attribute value (the leaderboard has no rule for it)', 'f(a=math.pi)'],
    ['a lambda', 'f(a=lambda x: x)'],
    ['an f-string', 'f(a=f"{x}")'],
    ['a repeated keyword', 'f(a=1, a=2)'],
    ['a set value', 'f(a={1, 2})'],
    ['a list element that is not a call', '[f(a=1), 2]'],
    ['arithmetic on a name', 'f(a=x + 1)'],
    ['a comparison', 'f(a=1 < 2)'],
    ['division by zero', 'f(a=1/0)'],
    ['argument unpacking', 'f(**kw)'],
  ];
  for (const [what, text] of rejects) {
    test(`rejects ${what} with a DecodeError`, () => {
      assert.throws(() => decodePythonCalls(text), DecodeError);
    });
  }
});

/** Milliseconds one synchronous call takes. */
function elapsed(run: () => unknown): number {
  const start = performance.now();
  run();
  return performance.now() - start;
}

describe('Python decoding is bounded in time and size', () => {
  test('integers stop at 4300 digits, as Python does, before any huge power is computed', () => {
    assert.throws(() => parsePythonValue('9**9**9'), /more than 4300 digits/);
    assert.throws(() => parsePythonValue('2**14300'), /more than 4300 digits/);
    assert.throws(() => parsePythonValue('1' + '0'.repeat(4300)), /more than 4300 digits/);
    assert.throws(() => parsePythonValue(`${'9'.repeat(3000)} * ${'9'.repeat(3000)}`), /more than 4300 digits/);
    assert.equal(parsePythonValue('2**100'), 2n ** 100n);
    assert.equal(parsePythonValue('1**(10**4000)'), 1n);
    assert.equal(parsePythonValue('(-1)**(10**4000 + 1)'), -1n);
    assert.ok(elapsed(() => assert.throws(() => parsePythonValue('9**9**9**9'))) < 100);
  });

  test('strings built by repetition stay under a million characters', () => {
    assert.throws(() => parsePythonValue("'ab' * 10**9"), /more than 1000000 characters/);
    assert.equal(parsePythonValue("'ab' * 3"), 'ababab');
    assert.equal(parsePythonValue("2 * 'x'"), 'xx');
  });

  test('nesting deeper than 100 levels is a decode error, not a stack overflow', () => {
    for (const text of ['['.repeat(5000) + ']'.repeat(5000), '-'.repeat(20_000) + '1', '1' + '+1'.repeat(20_000), '2' + '**2'.repeat(5000), 'a' + '.b'.repeat(20_000)]) {
      assert.throws(() => parsePythonValue(text), (err: Error) => err instanceof DecodeError && /nested more than 100 deep/.test(err.message));
    }
    assert.equal(parsePythonValue('['.repeat(50) + ']'.repeat(50)) !== undefined, true);
  });
});
