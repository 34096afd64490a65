import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoCatalog } from '../../data/demo/catalog.js';
import { FINISH_TOOL } from '../../methods/toolgen/examples.js';
import { saveToolGenModel } from '../../methods/toolgen/model.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { RunDirectory } from '../../train/run-dir.js';
import { main } from '../main.js';
import { captureOutput, runCommand } from '../testing/capture.js';
import { command } from './dashboard.js';
import { startServingCli } from '../testing/source-cli.js';


test('dashboard --help names the arguments and flags; bad input is a one-line usage error with exit 2', async (t) => {
  const help = await runCommand(command, ['--help']);
  assert.equal(help.code, 0);
  for (const part of ['[RUN_DIR...]', '--port', '--host']) assert.ok(help.stdout.includes(part), part);
  const dir = mkdtempSync(join(tmpdir(), 'toolken-dashboard-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'metrics.jsonl'), '');
  for (const [argv, message] of [
    [['--prot', '1'], /unknown option '--prot'; did you mean '--port'\?/],
    [['--port', '70000'], /--port must be in \[0, 65535\]/],
    [[join(dir, 'absent')], /RUN_DIR .*absent does not exist/],
    [[join(dir, 'metrics.jsonl')], /RUN_DIR .*metrics\.jsonl is a file; give the run directory that holds it/],
    [[dir, '--model', join(dir, 'no-model')], /--model .*no-model: no such directory/],
  ] as const) {
    const { value, stderr } = await captureOutput(() => main(['dashboard', ...argv]));
    assert.equal(value, 2, argv.join(' '));
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, `one line: ${stderr}`);
  }
  // toolken serve mounts the dashboard: its --runs are checked the same way, before the model loads.
  {
    const { value, stderr } = await captureOutput(() => main(['serve', '--model', join(dir, 'no-model'), '--runs', join(dir, 'absent')]));
    assert.equal(value, 2);
    assert.match(stderr, /--runs .*absent does not exist/);
  }
});

test('toolken dashboard serves the runs of a folder and the playground of a model on loopback, and shuts down on SIGTERM', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-dashboard-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const run = RunDirectory.open(join(dir, 'runs', 'sft'), { resume: false });
  run.appendMetric({ step: 1, split: 'train', loss: 2 });
  const tools = demoCatalog().slice(0, 4);
  const model = join(dir, 'model');
  saveToolGenModel(await tinyToolGen([...tools, FINISH_TOOL], { documented: tools, vocabSize: 320, maxPositions: 1024 }), model, tools);
  const cli = await startServingCli(t, ['dashboard', join(dir, 'runs'), '--port', '0', '--model', model], /on (http:\/\/127\.0\.0\.1:\d+)\//);
  const base = cli.address;
  const index = (await (await fetch(`${base}/dashboard/api/runs`)).json()) as { runs: { name: string; lastStep: number }[]; playground: boolean };
  assert.deepEqual(index.runs.map((r) => [r.name, r.lastStep]), [['runs/sft', 1]]);
  assert.equal(index.playground, true);
  const asked = await fetch(`${base}/dashboard/api/playground`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ request: 'Add 2 and 3', k: 2 }) });
  assert.equal(asked.status, 200);
  const { answer } = (await asked.json()) as { answer: { tools: { toolId: string }[]; steps: unknown[] } };
  assert.equal(answer.tools.length, 2);
  assert.ok(answer.steps.length <= 4, 'the playground takes at most --max-steps (4) steps');
  assert.equal(await cli.stop(), 0);
});
