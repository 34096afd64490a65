import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { command } from './tools.js';
import { CliError } from '../args.js';
import { loadCatalog } from '../../tools/catalog.js';
import { runCommand } from '../testing/capture.js';

const FIXTURES = fileURLToPath(new URL('../../tools/fixtures/', import.meta.url));

const run = (argv: string[]): ReturnType<typeof runCommand> => runCommand(command, argv);

test('tools import writes a catalog, reports skipped entries, and tools stats summarizes it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-cli-tools-'));
  try {
    const out = join(dir, 'catalog.json');
    const imported = await run(['import', join(FIXTURES, 'openapi.json'), join(FIXTURES, 'seal-tools.jsonl'), '--out', out]);
    assert.equal(imported.code, 0);
    assert.equal(imported.stdout, `wrote 5 tools to ${out} (0 duplicates merged, 0 conflicts, 2 invalid skipped)\n`);
    assert.match(imported.stderr, /invalid entries skipped: 2\n/);
    assert.match(imported.stderr, /seal-tools\.jsonl line 3 \/api_name: missing "api_name"/);
    assert.equal(loadCatalog(out).tools.length, 5);

    const stats = await run(['stats', out]);
    assert.equal(stats.code, 0);
    assert.equal(
      stats.stdout,
      [
        'tools:        5',
        'groups:       1',
        'categories:   4 (top: books 2, Finance 1, Food 1, loans 1)',
        'formats:      openapi 3, seal-tools 2',
        'parameters:   9 (6 required, max 3 per tool, 0 tools without)',
        'endpoints:    3',
        'returns:      2',
        'descriptions: mean 14.8 chars, 0 empty',
        '',
      ].join('\n'),
    );
    const json = await run(['stats', out, '--json']);
    assert.equal(JSON.parse(json.stdout).tools, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tools import with --on-invalid reject fails without writing and names the entry', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-cli-tools-'));
  try {
    await assert.rejects(
      run(['import', join(FIXTURES, 'corpus.jsonl'), '--out', join(dir, 'c.json'), '--on-invalid', 'reject']),
      (err: Error) => err instanceof CliError && err.message.includes(`corpus.jsonl line 3: record 'empty' has neither "title" nor "text"`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad usage is a CliError naming the problem', async () => {
  await assert.rejects(run(['import', '--out', 'x.json']), new CliError('tools import needs at least one input file'));
  await assert.rejects(run(['import', 'a.json']), new CliError('--out is required'));
  await assert.rejects(run(['import', 'a.json', '--out', 'x.json', '--format', 'yaml']), /--format must be one of auto, toolbench/);
  await assert.rejects(run(['stats']), new CliError('tools stats takes exactly one catalog file, got 0'));
  await assert.rejects(run(['stats', '/nonexistent/catalog.json']), new CliError('catalog /nonexistent/catalog.json does not exist'));
  await assert.rejects(run(['stats', FIXTURES]), new CliError(`catalog ${FIXTURES} is a folder; pass the files inside it`));
  await assert.rejects(run(['import', FIXTURES, '--out', 'x.json']), new CliError(`tool file ${FIXTURES} is a folder; pass the files inside it`));
  await assert.rejects(run(['import', '/nonexistent/tools.json', '--out', 'x.json']), new CliError('tool file /nonexistent/tools.json does not exist'));
  const bfcl = join(FIXTURES, 'bfcl-functions.json');
  await assert.rejects(run(['stats', bfcl]), new CliError(`${bfcl} is not a toolken catalog: this is a BFCL file; import it first: toolken tools import ${bfcl} --out catalog.json`));
  await assert.rejects(run(['export']), new CliError("unknown sub-command 'export'; did you mean 'import'? (known: import, stats, add)"));
});

test('tools --help shows the options of both sub-commands', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--out', '--format', '--on-invalid', '--max-reported', '--json']) assert.ok(help.stdout.includes(flag), flag);
});
