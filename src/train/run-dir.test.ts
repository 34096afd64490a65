import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunDirectory } from './run-dir.js';

const fresh = (): string => join(mkdtempSync(join(tmpdir(), 'toolken-run-')), 'run');

test('a run directory refuses to overwrite an existing run unless resuming', () => {
  const path = fresh();
  RunDirectory.open(path, { resume: false }).writeConfig({ lr: 1 });
  assert.throws(() => RunDirectory.open(path, { resume: false }), /already holds a run.*--resume/);
  assert.deepEqual(RunDirectory.open(path, { resume: true }).readConfig(), { lr: 1 });
});

test('metrics append as JSON lines; a line cut short by a crash is ignored', () => {
  const run = RunDirectory.open(fresh(), { resume: false });
  run.appendMetric({ step: 1, loss: 2.5 });
  run.appendMetric({ step: 2, loss: 2.0 });
  appendFileSync(run.file('metrics.jsonl'), '{"step": 3, "lo');
  assert.deepEqual(
    run.readMetrics().map((r) => [r.step, r.loss]),
    [
      [1, 2.5],
      [2, 2.0],
    ],
  );
  run.truncateMetrics(1);
  assert.deepEqual(run.readMetrics().map((r) => r.step), [1]);
});

test('a corrupt metrics line in the middle is reported with its line number', () => {
  const run = RunDirectory.open(fresh(), { resume: false });
  writeFileSync(run.file('metrics.jsonl'), '{"step":1}\nnot json\n{"step":2}\n');
  assert.throws(() => run.readMetrics(), /metrics\.jsonl: line 2 is not valid JSON/);
});

test('checkpoints appear atomically, latest points at the newest, and old ones are pruned', () => {
  const run = RunDirectory.open(fresh(), { resume: false });
  for (const step of [10, 20, 30]) run.saveCheckpoint(step, (dir) => writeFileSync(join(dir, 'state.json'), String(step)), 2);
  const latest = run.latestCheckpoint();
  assert.equal(latest?.step, 30);
  assert.equal(readFileSync(join(latest!.dir, 'state.json'), 'utf8'), '30');
  assert.deepEqual(
    readdirSync(run.file('checkpoints')).filter((n) => n.startsWith('step-')),
    ['step-00000020', 'step-00000030'],
  );
  assert.throws(() => run.saveCheckpoint(40, () => { throw new Error('disk full'); }), /disk full/);
  assert.equal(run.latestCheckpoint()?.step, 30);
  assert.equal(existsSync(run.file('checkpoints', 'step-00000040')), false);
  assert.deepEqual(readdirSync(run.file('checkpoints')).filter((n) => n.includes('tmp')), []);
});

test('a run that recorded nothing is discarded only from a directory its open created', () => {
  const unstarted = RunDirectory.open(fresh(), { resume: false });
  unstarted.writeConfig({ lr: 1 });
  assert.equal(unstarted.discardIfUnstarted(), true);
  assert.equal(existsSync(unstarted.path), false);

  const trained = RunDirectory.open(fresh(), { resume: false });
  trained.appendMetric({ step: 1, loss: 2 });
  assert.equal(trained.discardIfUnstarted(), false);
  const checkpointed = RunDirectory.open(fresh(), { resume: false });
  checkpointed.saveCheckpoint(1, (dir) => writeFileSync(join(dir, 'state.json'), '1'));
  assert.equal(checkpointed.discardIfUnstarted(), false);
  // A recipe's stages are run directories below its own.
  const recipe = RunDirectory.open(fresh(), { resume: false });
  RunDirectory.open(recipe.file('memorization'), { resume: false }).appendMetric({ step: 1, loss: 2 });
  assert.equal(recipe.discardIfUnstarted(), false);

  // An empty folder of the user's (`--out .`) stays, emptied of what the run wrote.
  const empty = fresh();
  mkdirSync(empty);
  const inEmpty = RunDirectory.open(empty, { resume: false });
  inEmpty.writeConfig({ lr: 1 });
  assert.equal(inEmpty.discardIfUnstarted(), true);
  assert.deepEqual(readdirSync(empty), []);

  const path = fresh();
  RunDirectory.open(path, { resume: false }).writeConfig({ lr: 1 });
  const resumed = RunDirectory.open(path, { resume: true });
  assert.equal(resumed.discardIfUnstarted(), false, "a directory that was there before is the user's");
  assert.equal(existsSync(join(path, 'config.json')), true);
});

test('replace deletes a previous run but refuses a folder of other files', () => {
  const previous = RunDirectory.open(fresh(), { resume: false });
  previous.writeConfig({ lr: 1 });
  previous.appendMetric({ step: 1, loss: 2 });
  const replaced = RunDirectory.open(previous.path, { resume: false, replace: true });
  assert.equal(replaced.readConfig(), undefined);
  assert.deepEqual(readdirSync(replaced.path), ['checkpoints']);

  const folder = fresh();
  mkdirSync(folder);
  writeFileSync(join(folder, 'notes.txt'), 'keep me');
  // A model directory has a config.json too, but no checkpoints/.
  writeFileSync(join(folder, 'config.json'), '{}');
  assert.throws(() => RunDirectory.open(folder, { resume: false, replace: true }), /is not empty and holds no run \(config\.json and checkpoints\/\) to replace; choose another --out/);
  assert.equal(readFileSync(join(folder, 'notes.txt'), 'utf8'), 'keep me');
});
