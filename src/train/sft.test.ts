import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DecoderModel } from '../models/decoder.js';
import { RunDirectory } from './run-dir.js';
import { trainSft, validationLoss } from './sft.js';
import { tinyConfig, tinyExamples, tinySftConfig } from './testing/tiny-run.js';

const child = fileURLToPath(new URL('./testing/tiny-run.ts', import.meta.url));
const runChild = (dir: string, extra: readonly string[]): string =>
  spawnSync(process.execPath, ['--import', 'tsx', child, dir, ...extra], { encoding: 'utf8' }).stdout;

const trainLosses = (dir: string): [number, number][] =>
  RunDirectory.open(dir, { resume: true })
    .readMetrics()
    .filter((r) => r.split === 'train')
    .map((r) => [r.step, r.loss as number]);

test('training lowers the loss on the training examples', () => {
  const model = DecoderModel.random(tinyConfig, 3);
  const examples = tinyExamples();
  const before = validationLoss(model, examples, tinySftConfig);
  const run = RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-sft-')), 'run'), { resume: false });
  const result = trainSft({ model, train: examples, validation: examples, config: { ...tinySftConfig, epochs: 40, lr: 1e-2 }, run, showProgress: false });
  const after = validationLoss(model, examples, tinySftConfig);
  assert.ok(after < before * 0.3, `validation loss ${before} -> ${after}`);
  assert.equal(result.steps, 40 * 3);
  assert.ok(result.best !== undefined && result.best.step === 120);
});

for (const [variant, extra] of [['full fine-tuning', []], ['LoRA with dropout', ['--lora']], ['weight averaging', ['--average']]] as const) {
  test(`a run killed mid-way resumes from its last checkpoint and its loss curve continues exactly (${variant})`, async () => {
    const base = mkdtempSync(join(tmpdir(), 'toolken-resume-'));
    const uninterrupted = join(base, 'a');
    const first = runChild(uninterrupted, extra);
    assert.match(first, /DONE 9 resumed=none/);

    const interrupted = join(base, 'b');
    await new Promise<void>((resolve, reject) => {
      const p = spawn(process.execPath, ['--import', 'tsx', child, interrupted, ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/STEP 5 /.test(out)) p.kill('SIGKILL');
      });
      p.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child ended with ${code}/${signal} before it was killed: ${out}`))));
    });
    const resumed = runChild(interrupted, extra);
    assert.match(resumed, /DONE 9 resumed=(4|6)/);
    // The final weights (the average, with --average) are those of the run that was never stopped.
    const weights = (out: string): string | undefined => /weights=(\S+)/.exec(out)?.[1];
    assert.equal(weights(resumed), weights(first));

    const expected = trainLosses(uninterrupted);
    assert.equal(expected.length, 9);
    assert.deepEqual(trainLosses(interrupted), expected);
  });
}
