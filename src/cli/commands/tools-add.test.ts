import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { ToolIndex } from '../../indexing/tool-index.js';
import { saveToolGenModel } from '../../methods/toolgen/model.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { saveCatalog } from '../../tools/catalog.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { command as tools } from './tools.js';

const catalog = demoCatalog().slice(0, 9);

test('tools add writes a new model directory whose index and catalog hold the added tools', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-tools-add-'));
  const model = join(dir, 'model');
  saveToolGenModel(await tinyToolGen(catalog.slice(0, 6), { documented: catalog }), model, catalog.slice(0, 6));
  const extra = join(dir, 'extra.json');
  saveCatalog(extra, { version: 1, tools: catalog.slice(6) });
  const out = join(dir, 'grown');
  const added = await runCommand(tools, ['add', '--model', model, '--catalog', extra, '--out', out]);
  assert.equal(added.code, 0);
  assert.match(added.stdout, /9 tools \(3 added, document-state rows\)/);
  assert.deepEqual(ToolIndex.load(join(out, 'tool-index.json')).toolIds(), catalog.map((t) => t.id));
  assert.deepEqual((JSON.parse(readFileSync(join(out, 'catalog.json'), 'utf8')) as { tools: { id: string }[] }).tools.map((t) => t.id), catalog.map((t) => t.id));
  const retrieved = await runCommand(tools, ['--help']);
  assert.match(retrieved.stdout, /tools add/);

  const again = runCommand(tools, ['add', '--model', out, '--catalog', extra, '--out', join(dir, 'twice')]);
  await assert.rejects(again, (err: unknown) => err instanceof CliError && /3 tools are already in the model's index/.test(err.message));
  await assert.rejects(runCommand(tools, ['add', '--model', model, '--catalog', extra, '--out', out]), (err: unknown) => err instanceof CliError && /already exists and is not an empty folder/.test(err.message));
});
