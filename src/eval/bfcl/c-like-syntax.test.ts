import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeCLikeCalls } from '../../tools/calls/c-like-syntax.js';
import { convertJava } from './java-types.js';
import { convertJs } from './js-types.js';
import { DecodeError, type CallReading } from '../../tools/calls/python-syntax.js';
import { pyRepr } from '../../tools/calls/values.js';

const argsOf = (text: string, language: 'java' | 'javascript'): Record<string, unknown> => {
  const calls = decodeCLikeCalls(text, language);
  assert.equal(calls.length, 1);
  return Object.fromEntries(calls[0]!.args);
};

describe('Java call syntax', () => {
  test('values are kept as source text; a lone string literal loses its quotes (escapes stay raw)', () => {
    const args = argsOf('[Db.run(sql="SELECT \\"x\\"", n=5L, map=new HashMap<String, Integer>() {{ put("a", 1); }}, arr=new int[] {1, 2}, c=\'z\')]', 'java');
    assert.deepEqual(args, {
      sql: 'SELECT \\"x\\"',
      n: '5L',
      map: 'new HashMap<String, Integer>() {{ put("a", 1); }}',
      arr: 'new int[] {1, 2}',
      c: 'z',
    });
  });

  test('commas inside generic type arguments do not split arguments', () => {
    assert.deepEqual(Object.keys(argsOf('f(m=new HashMap<String, List<Integer>>(), k=1)', 'java')), ['m', 'k']);
  });

  test('several calls separated by commas or semicolons', () => {
    assert.deepEqual(
      decodeCLikeCalls('a.b(x=1); c(y="2")', 'java').map((c) => c.name),
      ['a.b', 'c'],
    );
  });

  test('positional arguments, unbalanced brackets and unterminated strings are decode errors', () => {
    assert.throws(() => decodeCLikeCalls('f(1)', 'java'), DecodeError);
    assert.throws(() => decodeCLikeCalls('f(a=new int[]{1, 2)', 'java'), DecodeError);
    assert.throws(() => decodeCLikeCalls('f(a="x)', 'java'), DecodeError);
  });
});

describe('JavaScript call syntax', () => {
  test('a value starting and ending with the same quote is unquoted; others are source text', () => {
    assert.deepEqual(argsOf("f(a='x', b=\"y\", c=[1, 'two'], d={k: 1}, e=(x) => x * 2, g=`t`)", 'javascript'), {
      a: 'x',
      b: 'y',
      c: "[1, 'two']",
      d: '{k: 1}',
      e: '(x) => x * 2',
      g: '`t`',
    });
  });
});

describe('Java type conversion', () => {
  const cases: readonly [string, string, string | undefined, string, CallReading?][] = [
    ['42', 'integer', undefined, '42'],
    ['42L', 'long', undefined, '42'],
    ['42', 'long', undefined, "'42'"],
    ['1.5f', 'float', undefined, '1.5'],
    ['1.5', 'float', undefined, "'1.5'"],
    ['1.5e3', 'double', undefined, '1500.0'],
    ['true', 'boolean', undefined, 'True'],
    ['yes', 'boolean', undefined, "'yes'"],
    ['new String[]{"a", "b"}', 'Array', 'String', "['a', 'b']", 'lenient'],
    ['new String[]{"a", "b"}', 'Array', 'String', `['"a"', '"b"']`, 'official'],
    ['new long[]{1L, 2, 3L}', 'Array', 'long', "[1, '2', 3]"],
    ['new Object[]{1, "abc", true}', 'Array', undefined, "[1, 'abc', True]"],
    ['new ArrayList<>(Arrays.asList("a", "b"))', 'ArrayList', 'String', "['a', 'b']"],
    ['new ArrayList<Double>() {{ add(1.0); add(2.5); }}', 'ArrayList', 'double', '[1.0, 2.5]'],
    ['new ArrayList<>()', 'ArrayList', 'integer', '[]'],
    ['new HashMap<String, Object>() {{ put("k1", 1); put("k2", "v"); put("k3", 2L); }}', 'HashMap', undefined, "{'k1': 1, 'k2': 'v', 'k3': 2}"],
    ['new HashMap<>()', 'HashMap', undefined, '{}'],
    ['configMap', 'HashMap', undefined, "'configMap'"],
  ];
  for (const [text, type, element, expected, reading] of cases) {
    test(`${text} as ${type}${element ? `<${element}>` : ''} reads as ${expected}${reading ? ` (${reading})` : ''}`, () => {
      assert.equal(pyRepr(convertJava(text, type, element, reading)), expected);
    });
  }

  test('types the leaderboard never implemented are refused', () => {
    assert.throws(() => convertJava('new HashSet<>()', 'Set'), /not implemented/);
  });
});

describe('JavaScript type conversion', () => {
  const cases: readonly [string, string, string | undefined, string, CallReading?][] = [
    ['"quoted"', 'String', undefined, "'quoted'"],
    ['5', 'integer', undefined, '5'],
    ['5.5', 'integer', undefined, "'5.5'"],
    ['5', 'float', undefined, '5.0'],
    ['1e3', 'float', undefined, "'1e3'"],
    ['10n', 'Bigint', undefined, '10'],
    ['false', 'Boolean', undefined, 'False'],
    ['[1, 2.5, "x"]', 'array', undefined, "[1, 2.5, 'x']"],
    ['["a", \'b\']', 'array', 'String', "['a', 'b']"],
    ['new Array(1, 2)', 'array', 'float', '[1.0, 2.0]'],
    ['[[1, 2], [3, 4]]', 'array', 'array', '[[1, 2], [3, 4]]'],
    ["{'key': 'value', n: 3, ok: true}", 'dict', undefined, "{'key': 'value', 'n': 3, 'ok': True}"],
    ['{"list": ["a", "b"], "name": x}', 'dict', undefined, "{'list': ['a', 'b'], 'name': 'x'}"],
    ['{}', 'dict', undefined, '{}'],
    ['itemsList', 'array', 'String', "'itemsList'"],
  ];
  for (const [text, type, element, expected] of cases) {
    test(`${text} as ${type}${element ? `<${element}>` : ''} reads as ${expected}`, () => {
      assert.equal(pyRepr(convertJs(text, type, element)!), expected);
    });
  }
});

describe('C-like decoding and type conversion are bounded in time', () => {
  // CPU milliseconds, not wall time: on a machine shared with other work the wall clock measures the load.
  const elapsed = (run: () => unknown): number => {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };

  test("the leaderboard's two-dimensional array pattern is matched without backtracking", () => {
    // Rows without the closing bracket: a backtracking engine tries exponentially many ways to split them before
    // failing; then the one-dimensional rule reads up to the first ']'.
    const unclosed = '[' + '[a],'.repeat(34) + '[a]';
    assert.ok(elapsed(() => assert.equal(pyRepr(convertJs(unclosed, 'array')!), "['[a']")) < 100);
    assert.equal(pyRepr(convertJs('[[1, 2], [3, 4]]', 'array')!), '[[1, 2], [3, 4]]');
    assert.equal(pyRepr(convertJs('new Array([1], [2])', 'array')!), '[[1], [2]]');
    // The lazy second row runs on past 'x' to the last ']', and the rows read from that match skip the 'x'.
    assert.equal(pyRepr(convertJs('[[1], [2]x]]', 'array')!), '[[1], [2]]');
  });

  test('deep Java generics and long literals cost linear time', () => {
    const generics = `f(a=${'List<'.repeat(8000)}x)`;
    assert.ok(elapsed(() => decodeCLikeCalls(generics, 'java')) < 100);
    assert.deepEqual(argsOf('f(m=new HashMap<String, List<Integer>>())', 'java'), { m: 'new HashMap<String, List<Integer>>()' });
    const long = 'new int[]{' + '1,'.repeat(10_000) + '1}';
    assert.ok(elapsed(() => assert.equal(convertJava(long, 'Array', 'integer'), long)) < 100);
  });
});
