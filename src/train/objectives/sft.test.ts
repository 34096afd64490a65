import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecoderModel } from '../../models/decoder.js';
import { noGrad } from '../../tensor/autograd.js';
import { RunDirectory } from '../run-dir.js';
import { tinyConfig, tinyExamples, tinySftConfig } from '../testing/tiny-run.js';
import { Trainer } from '../trainer.js';
import { SftObjective, sftLoss } from './sft.js';

const newRun = (): RunDirectory => RunDirectory.open(join(mkdtempSync(join(tmpdir(), 'toolken-sft-')), 'run'), { resume: false });

test('SFT through the Trainer lowers the loss on the training examples and keeps the best validated step', () => {
  const model = DecoderModel.random(tinyConfig, 3);
  const examples = tinyExamples();
  const before = noGrad(() => sftLoss(model, examples, tinySftConfig));
  const config = { ...tinySftConfig, epochs: 40, lr: 1e-2 };
  const objective = new SftObjective({ model, train: examples, validation: examples, settings: config });
  const run = newRun();
  const result = new Trainer({ model, objective, config }).train({ run, showProgress: false });
  const after = noGrad(() => sftLoss(model, examples, tinySftConfig));
  assert.ok(after < before * 0.3, `validation loss ${before} -> ${after}`);
  assert.equal(result.steps, 40 * 3);
  assert.ok(result.best !== undefined && result.best.step === 120);
  const validations = run.readMetrics().filter((r) => r.split === 'validation');
  assert.equal(validations.length, 1);
  assert.ok(Math.abs((validations[0]!.val_loss as number) - after) < 1e-6);
});

test('each optimizer step weighs its micro-batches by their labelled tokens, so accumulation gives the token-mean loss', () => {
  const examples = tinyExamples();
  const settings = { ...tinySftConfig, batchSize: 2 };
  const lossOf = (gradAccumulation: number, batchSize: number): number => {
    const model = DecoderModel.random(tinyConfig, 5);
    const config = { ...settings, batchSize, gradAccumulation };
    const objective = new SftObjective({ model, train: examples, settings: config });
    const trainer = new Trainer({ model, objective, config });
    const first = trainer.step(objective.batches(0).slice(0, gradAccumulation));
    trainer.dispose();
    return first.loss;
  };
  // Two micro-batches of 2 examples are one batch of 4, in the same order.
  assert.ok(Math.abs(lossOf(2, 2) - lossOf(1, 4)) < 1e-5);
});

test('the SFT objective refuses soft labels without the smoothing that weighs them, and bad batch settings', () => {
  const model = DecoderModel.random(tinyConfig, 3);
  const soft = tinyExamples().map((e) => ({ ...e, softLabels: [{ position: 5, distribution: new Float32Array([0.5, 0.5]) }] }));
  assert.throws(() => new SftObjective({ model, train: soft, settings: tinySftConfig }), /soft labels \(a teacher's distributions\), which need labelSmoothing > 0/);
  assert.throws(
    () => new SftObjective({ model, train: soft, settings: { ...tinySftConfig, labelSmoothing: 0.5, smoothingClasses: { start: 2, end: 5 } } }),
    /soft labels have 2 classes, smoothingClasses 2..4 has 3/,
  );
  assert.throws(() => new SftObjective({ model, train: tinyExamples(), settings: { ...tinySftConfig, batchSize: 0 } }), /batchSize must be a positive integer, got 0/);
  assert.throws(() => new SftObjective({ model, train: [{ inputIds: [1], labels: [1] }], settings: tinySftConfig }), /no training example has at least two tokens/);
});
