import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';

const root = fileURLToPath(new URL('../..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'toolken-fuzz-run-'));
after(() => rmSync(out, { recursive: true, force: true }));

test('npm run fuzz runs a target in a worker for the time given and reports inputs, defects and the slowest input', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fuzz/run.ts', '--seconds', '0.5', '--target', 'llama2.c model', '--out', out], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(run.status, 0, run.stderr);
  const line = /^checkpoint: llama2\.c model: (\d+) inputs \(\d+\/s; \d+ loaded, \d+ refused\), 0 defects, slowest [\d.]+ ms \((\S+)\), most memory [\d.]+ MB$/m.exec(run.stdout);
  assert.ok(line, run.stdout);
  assert.ok(Number(line[1]) > 0);
  assert.ok(line[2]!.startsWith(out) && existsSync(line[2]!), 'the slowest input is saved under --out');
  assert.match(run.stdout, /no defects; inputs saved under /);
  assert.match(run.stderr, /fuzz \[/, 'progress goes to stderr');
});

test('npm run fuzz refuses a bad option or a filter that matches no target', () => {
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fuzz/run.ts', '--seconds', '0'], { cwd: root, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--seconds must be a positive number/);
  const none = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/fuzz/run.ts', '--target', 'no such target'], { cwd: root, encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /no fuzz target matches "no such target"/);
});
