import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CsvError, parseCsv } from './csv.js';

const fields = (text: string): string[][] => parseCsv(text).map((r) => r.fields);

test('plain records split on commas and newlines; a trailing newline adds no record', () => {
  assert.deepEqual(fields('Query,Tool\nhi,A\n'), [
    ['Query', 'Tool'],
    ['hi', 'A'],
  ]);
});

test('quoted fields keep commas, newlines and doubled quotes', () => {
  assert.deepEqual(fields('"a, b","say ""hi""\nthere",c\r\nx,,""\n'), [
    ['a, b', 'say "hi"\nthere', 'c'],
    ['x', '', ''],
  ]);
});

test('records remember the line they start on, across embedded newlines', () => {
  assert.deepEqual(
    parseCsv('h\n"two\nlines"\nlast').map((r) => r.line),
    [1, 2, 4],
  );
});

test('a byte-order mark is ignored', () => {
  assert.deepEqual(fields('\ufeffa,b'), [['a', 'b']]);
});

test('malformed quoting is reported with file and line', () => {
  assert.throws(() => parseCsv('a\n"open,b\nc', 'q.csv'), (err: unknown) => err instanceof CsvError && err.message === 'q.csv:2: quoted field is never closed');
  assert.throws(() => parseCsv('a\n"x"y,b', 'q.csv'), /^CsvError: q\.csv:2: unexpected character 'y' after a closing quote$/);
  assert.throws(() => parseCsv('ok\nbad"quote', 'q.csv'), /q\.csv:2: a quote inside an unquoted field/);
});
