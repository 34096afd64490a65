import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { loadModel } from '../../models/load.js';
import { saveCatalog } from '../../tools/catalog.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { command as init } from './init.js';
import { command as retrieve } from './retrieve.js';
import { command as train } from './train.js';

const tools = demoCatalog().slice(0, 6);

function catalogAndQueries(): { dir: string; catalog: string; queries: string } {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-init-'));
  const catalog = join(dir, 'catalog.json');
  saveCatalog(catalog, { version: 1, tools });
  const queries = join(dir, 'queries.jsonl');
  writeFileSync(queries, tools.map((t, i) => JSON.stringify({ id: `q${i}`, query: `please ${t.description.toLowerCase()}`, relevant: [t.id] })).join('\n') + '\n');
  return { dir, catalog, queries };
}

const rejectsWith = (promise: Promise<unknown>, message: RegExp) =>
  assert.rejects(promise, (err: unknown) => err instanceof CliError && message.test(err.message));

test('init creates a model directory from a catalog alone, and the ToolGen recipe runs on it from the command line', async () => {
  const { dir, catalog, queries } = catalogAndQueries();
  const base = join(dir, 'base');
  const made = await runCommand(init, ['--catalog', catalog, '--queries', queries, '--out', base, '--vocab-size', '400', '--dim', '32', '--layers', '1', '--heads', '2', '--kv-heads', '1', '--hidden-dim', '64', '--max-positions', '256']);
  assert.equal(made.code, 0);
  assert.match(made.stdout, /a 1-layer, 32-wide model .* random weights/);
  assert.match(made.stdout, /next: toolken train --stage memorization/);

  const loaded = await loadModel(base);
  assert.equal(loaded.config.dim, 32);
  assert.equal(loaded.config.maxPositions, 256);
  assert.ok(loaded.tokenizer.vocabSize <= 400);
  const config = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8')) as { model_type: string };
  assert.equal(config.model_type, 'llama');
  // The tokenizer learned the catalog's words: a tool's own name costs few tokens.
  const name = tools[0]!.name;
  assert.ok(loaded.tokenizer.encode(name).length <= Math.ceil(name.length / 3), `'${name}' takes ${loaded.tokenizer.encode(name).length} tokens`);

  const run = join(dir, 'memorization');
  const trained = await runCommand(train, ['--stage', 'memorization', '--model', base, '--catalog', catalog, '--out', run, '--epochs', '2', '--batch-size', '3', '--checkpoint-every', '0']);
  assert.equal(trained.code, 0);
  const ranked = await runCommand(retrieve, ['--model', join(run, 'final'), '--query', 'please convert a temperature', '--k', '2']);
  const rows = ranked.stdout.trim().split('\n').slice(2).map((line) => line.split(/\s+/)[1]);
  assert.equal(rows.length, 2);
  for (const id of rows) assert.ok(tools.some((t) => t.id === id), `${id} is not a catalog tool`);
});

test('init refuses shapes a decoder cannot have and folders that hold something, before reading the catalog', async () => {
  const { dir, catalog } = catalogAndQueries();
  const out = join(dir, 'new');
  await rejectsWith(runCommand(init, ['--catalog', catalog, '--out', out, '--dim', '30', '--heads', '4']), /--heads \(4\) must divide --dim \(30\)/);
  await rejectsWith(runCommand(init, ['--catalog', catalog, '--out', out, '--heads', '4', '--kv-heads', '3']), /--kv-heads \(3\) must divide --heads \(4\)/);
  await rejectsWith(runCommand(init, ['--catalog', catalog, '--out', out, '--layers', '0']), /--layers must be at least 1, got 0/);
  await rejectsWith(runCommand(init, ['--catalog', catalog, '--out', out, '--vocab-size', '100']), /--vocab-size must be at least 300/);
  mkdirSync(out);
  writeFileSync(join(out, 'notes.txt'), 'mine');
  await rejectsWith(runCommand(init, ['--catalog', catalog, '--out', out]), /--out .* already exists and is not an empty folder/);
  await rejectsWith(runCommand(init, ['--catalog', join(dir, 'missing.json'), '--out', join(dir, 'other')]), /missing\.json/);
});
