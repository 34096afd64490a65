import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileSystemMessage } from './file-errors.js';
import { main } from './main.js';
import { captureOutput } from './testing/capture.js';

const toolken = async (...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  const { value, stdout, stderr } = await captureOutput(() => main(argv));
  return { code: value, stdout, stderr };
};

test('toolken with no command prints the usage to stderr and exits 2, like every usage error', async () => {
  const r = await toolken();
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^toolken: give a command\n\nusage: toolken <command>/);
  assert.equal((await toolken('--help')).code, 0);
});

test('toolken --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) assert.deepEqual(await toolken(flag), { code: 0, stdout: version + '\n', stderr: '' });
});

test('a misspelt command, sub-command or benchmark suggests the closest name and exits 2', async () => {
  const cases: [string[], string][] = [
    [['generat'], "toolken: unknown command 'generat'; did you mean 'generate'? (known: "],
    [['toString'], "toolken: unknown command 'toString' (known: "],
    [['tools', 'improt'], "toolken tools: unknown sub-command 'improt'; did you mean 'import'? (known: import, stats, add)"],
    [['eval', 'bfc'], "toolken eval: unknown benchmark 'bfc'; did you mean 'bfcl'? (known: bfcl, "],
    [['train', 'toolgne'], "toolken train: unknown training method 'toolgne'; did you mean 'toolgen'? (known: toolgen, toolkengpt, "],
    [['generate', '--max-tokns', '3'], "toolken generate: unknown option '--max-tokns'; did you mean '--max-tokens'? (known: "],
  ];
  for (const [argv, start] of cases) {
    const r = await toolken(...argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.ok(r.stderr.startsWith(start), r.stderr);
  }
});

test('missing files and folders given as files are named with the fix, never as raw Node errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-main-'));
  try {
    const cases: [string[], RegExp][] = [
      [['tools', 'import', dir, '--out', join(dir, 'c.json')], /is a folder; pass the files inside it/],
      [['tools', 'stats', dir], /is a folder; pass the files inside it/],
      [['tools', 'import', join(dir, 'missing.json'), '--out', join(dir, 'c.json')], /missing\.json does not exist/],
      [['tools', 'stats', join(dir, 'missing.json')], /missing\.json does not exist/],
      // An output folder given as an existing file.
      [['demo', '--out', join(dir, 'a-file')], /a-file already exists and is not a folder; choose another path/],
      // Checked before the model loads: the model named here does not exist, and the --out problem is the one told.
      [['eval', 'agent', '--model', join(dir, 'no-model'), '--demo-tasks', '2', '--out', join(dir, 'a-file')], /^toolken eval: --out .*a-file: .*a-file already exists and is not a folder/],
    ];
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    for (const [argv, message] of cases) {
      const r = await toolken(...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /EISDIR|ENOENT|EEXIST|\n\s+at /);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fileSystemMessage turns the file errors Node raises into a path, the problem and the fix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-fs-'));
  const raised = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    assert.fail('did not throw');
  };
  try {
    assert.equal(fileSystemMessage(raised(() => readFileSync(dir))), 'a folder was given, but a file is needed here; pass a file inside it');
    assert.equal(fileSystemMessage(raised(() => readFileSync(join(dir, 'none')))), `${join(dir, 'none')} does not exist; check the path`);
    writeFileSync(join(dir, 'file'), '');
    assert.equal(fileSystemMessage(raised(() => mkdirSync(join(dir, 'file'), { recursive: true }))), `${join(dir, 'file')} already exists and is not a folder; choose another path`);
    assert.equal(fileSystemMessage(new Error('not a file error')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
