import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { sharedDatasetsDir } from '../../data/loaders/files.js';
import { loadFuncqaTraining } from '../../methods/toolkengpt/data.js';
import { saveModel } from '../../models/save.js';
import { scratchModel, trainScratchTokenizer } from '../../train/scratch.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { command as evalCommand } from './eval.js';
import { command as trainCommand } from './train.js';

const funcqa = join(sharedDatasetsDir(), 'toolkengpt-data', 'funcqa');
const tmp = mkdtempSync(join(tmpdir(), 'toolken-cli-toolkengpt-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe('toolken train toolkengpt / eval funcqa', { skip: existsSync(funcqa) ? false : '../shared absent' }, () => {
  const tokenizer = trainScratchTokenizer(loadFuncqaTraining(funcqa).map((t) => t.text), 400);
  const shape = { vocabSize: 400, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: 1024 };
  const model = join(tmp, 'model');
  const other = join(tmp, 'other');
  saveModel(scratchModel(tokenizer, { ...shape, seed: 1 }), tokenizer, model);
  saveModel(scratchModel(tokenizer, { ...shape, seed: 2 }), tokenizer, other);
  const head = join(tmp, 'head');

  test('trains a head and a reranker, then evaluates every method with a report', async () => {
    const trained = await runCommand(trainCommand, ['toolkengpt', '--model', model, '--dataset', 'funcqa', '--out', head, '--epochs', '1', '--max-texts', '60', '--validation', '0.5']);
    assert.equal(trained.code, 0);
    assert.match(trained.stdout, /"secondsNaivePerEpochForward"/);
    const summary = JSON.parse(readFileSync(join(head, 'summary.json'), 'utf8')) as { tools: number; secondsNaivePerEpochForward: number };
    assert.equal(summary.tools, 13);
    assert.ok(existsSync(join(head, 'head.json')) && existsSync(join(head, 'head.bin')) && existsSync(join(head, 'metrics.jsonl')));
    const out = join(tmp, 'eval');
    const json = join(tmp, 'eval.json');
    const evaluated = await runCommand(evalCommand, ['funcqa', '--model', model, '--head', head, '--split', 'one-hop', '--limit', '2', '--max-tokens', '12', '--out', out, '--json', json]);
    assert.equal(evaluated.code, 0);
    assert.match(evaluated.stdout, /funcqa-oh\s+toolkengpt/);
    const results = JSON.parse(readFileSync(json, 'utf8')) as { method: string; questions: number }[];
    assert.deepEqual(results.map((r) => r.method), ['no-tools', 'in-context', 'toolkengpt', 'toolken-plus']);
    assert.ok(results.every((r) => r.questions === 2));
    assert.match(readFileSync(join(out, 'report.html'), 'utf8'), /<svg/);
  });

  test('a head trained for another base model is refused with a clear error', async () => {
    await assert.rejects(
      runCommand(evalCommand, ['funcqa', '--model', other, '--head', head, '--methods', 'toolkengpt', '--limit', '1']),
      (e: Error) => e instanceof CliError && e.message.includes(join(head, 'head.json')) && /trained on another base model/.test(e.message),
    );
  });

  test('--out that holds other files (a model directory) is refused before the model loads, and nothing in it is deleted', async () => {
    await assert.rejects(
      runCommand(trainCommand, ['toolkengpt', '--model', join(tmp, 'no-such-model'), '--dataset', 'funcqa', '--out', other]),
      (e: Error) => e instanceof CliError && /^--out .*other: .*other is not empty and holds no run \(config\.json and checkpoints\/\) to replace; choose another --out$/.test(e.message),
    );
    assert.ok(existsSync(join(other, 'model.safetensors')) && existsSync(join(other, 'config.json')));
  });

  test('an unknown method is a clear error', async () => {
    await assert.rejects(runCommand(evalCommand, ['funcqa', '--model', model, '--methods', 'react']), /unknown method 'react'/);
  });
});
