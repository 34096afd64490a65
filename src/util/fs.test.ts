import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './fs.js';

test('writeFileAtomic replaces the file and leaves no temporary file behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-fs-'));
  const path = join(dir, 'a.json');
  writeFileAtomic(path, 'one');
  writeFileAtomic(path, [Buffer.from('tw'), Buffer.from('o')]);
  assert.equal(readFileSync(path, 'utf8'), 'two');
  assert.deepEqual(readdirSync(dir), ['a.json']);
});

test('writing over a folder fails naming the folder, and leaves no temporary file beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-fs-'));
  const target = join(dir, 'out');
  mkdirSync(target);
  assert.throws(() => writeFileAtomic(target, 'x'), (err: unknown) => (err as NodeJS.ErrnoException).path === target && ['EISDIR', 'ENOTEMPTY', 'EEXIST', 'EPERM'].includes((err as NodeJS.ErrnoException).code ?? ''));
  assert.deepEqual(readdirSync(dir), ['out']);
});
