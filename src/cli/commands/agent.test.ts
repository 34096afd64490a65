import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { demoCatalog } from '../../data/demo/catalog.js';
import { FINISH_TOOL } from '../../methods/toolgen/examples.js';
import { saveToolGenModel } from '../../methods/toolgen/model.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { readToolBenchAnswer } from '../../methods/toolgen/examples.js';
import { saveCatalog } from '../../tools/catalog.js';
import { runCommand } from '../testing/capture.js';
import { CliError } from '../args.js';
import { command as agent } from './agent.js';
import { command as evalAgent } from './eval-agent.js';

const tools = demoCatalog().slice(0, 6);
const dir = mkdtempSync(join(tmpdir(), 'toolken-agent-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An untrained model indexing six demo tools and Finish; the catalog given to the agent lacks the last tool. */
const ready = (async () => {
  const indexed = [...tools, FINISH_TOOL];
  const tg = await tinyToolGen(indexed, { documented: tools, vocabSize: 320, maxPositions: 1024 });
  const model = join(dir, 'model');
  saveToolGenModel(tg, model, indexed);
  const catalog = join(dir, 'catalog.json');
  saveCatalog(catalog, { version: 1, tools: tools.slice(0, 5) });
  return { model, catalog };
})();

test('toolken agent prints each turn, warns about a tool the catalog lacks, and writes a re-trainable answer file', async () => {
  const { model, catalog } = await ready;
  const json = join(dir, 'run.json');
  const r = await runCommand(agent, ['--model', model, '--catalog', catalog, '--max-steps', '3', '--no-retry', '--json', json, 'Add 2 and 3.']);
  assert.match(r.stderr, new RegExp(`index names 1 tools that .* lacks \\(first: '${tools[5]!.id}'\\)`));
  assert.match(r.stdout, /\[step 1\] Action: /);
  assert.match(r.stdout, /Answer: |gave up|step limit/);
  const read = readToolBenchAnswer(json);
  assert.equal(read.query, 'Add 2 and 3.');
  assert.ok(read.messages.length >= 3);
});

test('toolken eval agent skips a malformed task line with a message naming it and scores the rest', async () => {
  const { model, catalog } = await ready;
  const tasks = join(dir, 'tasks.jsonl');
  writeFileSync(tasks, ['{"task": "Add 2 and 3.", "answer": "5"}', '{"task": ', '{"task": "Add 1 and 1.", "answer": 2}'].join('\n'));
  const out = join(dir, 'eval');
  const r = await runCommand(evalAgent, ['--model', model, '--catalog', catalog, '--tasks', tasks, '--out', out, '--max-steps', '2', '--no-retry']);
  assert.equal(r.code, 0);
  assert.match(r.stderr, /tasks\.jsonl line 2: not valid JSON/);
  assert.match(r.stdout, /pass rate/);
  assert.equal(readFileSync(join(out, 'trajectories.jsonl'), 'utf8').trim().split('\n').length, 2);
  assert.equal(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).tasks, 2);
});

test('a missing model directory is refused with a clear message', async () => {
  const { catalog } = await ready;
  await assert.rejects(
    runCommand(agent, ['--model', join(dir, 'nowhere'), '--catalog', catalog, 'task']),
    (err: unknown) => err instanceof CliError && /no such directory/.test(err.message),
  );
});

test('without --catalog the agent reads the catalog saved with the model, and a model with none is refused before it loads', async () => {
  const { model } = await ready;
  const r = await runCommand(agent, ['--model', model, '--max-steps', '1', '--no-retry', 'Add 2 and 3.']);
  assert.match(r.stdout, /\[step 1\] Action: /);
  assert.doesNotMatch(r.stderr, /lacks|not in the model's index/, 'the saved catalog is the one the model indexes');
  const bare = join(dir, 'bare');
  mkdirSync(bare);
  await assert.rejects(
    runCommand(agent, ['--model', bare, 'task']),
    (err: unknown) => err instanceof CliError && /--model .*bare has no catalog saved with it \(.*catalog\.json\); pass --catalog <catalog\.json>$/.test(err.message),
  );
});

test('eval agent names a missing or folder --tasks file in words', async () => {
  const { model, catalog } = await ready;
  await assert.rejects(runCommand(evalAgent, ['--model', model, '--catalog', catalog, '--tasks', join(dir, 'none.jsonl')]), /: --tasks file .*none\.jsonl does not exist$/);
  await assert.rejects(runCommand(evalAgent, ['--model', model, '--catalog', catalog, '--tasks', dir]), /: --tasks file .* is a folder; pass the files inside it$/);
});
