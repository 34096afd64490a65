import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
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
