import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonLines } from './json-lines.js';

test('JSON lines keep their line numbers, skip blank lines, and report a bad line instead of throwing', () => {
  const lines = parseJsonLines('{"a": 1}\n\n  \n[2]\r\n{oops\n"last"');
  assert.deepEqual(lines.map((l) => l.line), [1, 4, 5, 6]);
  assert.deepEqual(lines[0], { line: 1, value: { a: 1 } });
  assert.deepEqual(lines[1], { line: 4, value: [2] });
  assert.equal(lines[2]!.value, undefined);
  assert.match(lines[2]!.error!, /JSON/);
  assert.deepEqual(lines[3], { line: 6, value: 'last' });
  assert.deepEqual(parseJsonLines(''), []);
});
