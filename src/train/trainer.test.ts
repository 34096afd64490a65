import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDirectory } from './run-dir.js';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { generate } from '../generate/generate.js';
import { defaultSftConfig, SftObjective } from './objectives/sft.js';
import { Trainer, type Objective, type ObjectiveState, type TrainResult } from './trainer.js';
import type { TrainBatch } from './batches.js';
import { CheckpointError } from '../formats/errors.js';
import { openSafetensors, writeSafetensors } from '../formats/safetensors.js';
import { tinyConfig, tinyExamples, tinySftConfig } from './testing/tiny-run.js';

const child = fileURLToPath(new URL('./testing/tiny-run.ts', import.meta.url));
const runChild = (dir: string, extra: readonly string[]): string =>
  spawnSync(process.execPath, ['--import', 'tsx', child, dir, ...extra], { encoding: 'utf8' }).stdout;

const trainLosses = (dir: string): [number, number][] =>
  RunDirectory.open(dir, { resume: true })
    .readMetrics()
    .filter((r) => r.split === 'train')
    .map((r) => [r.step, r.loss as number]);

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

const text = 'the cat sat on the mat. ';
const alphabet = [...new Set(text)].sort();
const encode = (s: string): number[] => [...s].map((c) => alphabet.indexOf(c));

test('Trainer.step: a tiny randomly initialised model trained from scratch learns to recite its text', () => {
  const config: DecoderConfig = {
    family: 'llama', vocabSize: alphabet.length, dim: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, hiddenDim: 64,
    normEps: 1e-5, ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: true, maxPositions: 64, bosTokenId: null, eosTokenIds: [],
  };
  const model = DecoderModel.random(config, 7, 0.1);
  const tokens = encode(text.repeat(2));
  const train = [tokens.slice(0, 25), tokens.slice(10, 35)].map((t) => ({ inputIds: t, labels: t }));
  const settings = { ...defaultSftConfig, lr: 2e-2, schedule: 'constant' as const, warmup: 0, batchSize: 2, epochs: 40 };
  const objective = new SftObjective({ model, train, settings });
  const trainer = new Trainer({ model, objective, config: settings });
  const [batch] = objective.batches(0);
  const losses: number[] = [];
  for (let step = 0; step < 40; step++) losses.push(trainer.step([batch!]).loss);
  trainer.dispose();
  assert.ok(losses[0]! > 2, `initial loss ${losses[0]} is near ln(${alphabet.length})`);
  assert.ok(losses[39]! < 0.1, `final loss ${losses[39]}`);
  const [continuation] = generate(model, [encode('the cat ')], { maxTokens: 16 });
  assert.equal(continuation!.tokens.map((i) => alphabet[i]).join(''), 'sat on the mat. ');
});

// ---- resume from checkpoints that were damaged, tampered with or left half-written ----

/** Four steps of the tiny run (checkpoints at steps 2 and 4) in a fresh run directory; returns its path. */
function partialRun(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'toolken-hostile-')), 'run');
  resumeTiny(dir, { maxSteps: 4 });
  return dir;
}

/** Resumes (or starts) the tiny run in `dir`; warnings are collected rather than printed. */
function resumeTiny(dir: string, extra: Partial<typeof tinySftConfig> = {}, warnings: string[] = []): TrainResult {
  const model = DecoderModel.random(tinyConfig, 3);
  const config = { ...tinySftConfig, ...extra };
  const objective = new SftObjective({ model, train: tinyExamples(), settings: config });
  const run = RunDirectory.open(dir, { resume: true, warn: (m) => warnings.push(m) });
  return new Trainer({ model, objective, config }).train({ run, showProgress: false });
}

const checkpoint = (dir: string, step: number): string => join(dir, 'checkpoints', `step-${String(step).padStart(8, '0')}`);

/** Rewrites a JSON file of a checkpoint and drops its manifest (as a checkpoint of an older toolken would be). */
function editJson(file: string, edit: (value: Record<string, unknown>) => void): void {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(value);
  writeFileSync(file, JSON.stringify(value));
}

test('a trainer.json field out of range is refused, naming the file and the field, and metrics.jsonl stays whole', () => {
  const dir = partialRun();
  const metrics = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
  const trainerFile = join(checkpoint(dir, 4), 'trainer.json');
  editJson(trainerFile, (t) => { t.step = -5; });
  // With the manifest in place the edit is caught as a changed file; without it, by the field check.
  assert.throws(() => resumeTiny(dir), /trainer\.json has \d+ bytes, its manifest says \d+; the checkpoint is damaged/);
  rmSync(join(checkpoint(dir, 4), 'manifest.json'));
  const warnings: string[] = [];
  assert.throws(() => resumeTiny(dir, {}, warnings), (err: Error) => err instanceof CheckpointError && err.message.startsWith(`${trainerFile}: field "step" must be a non-negative integer, got -5`));
  assert.match(warnings.join('\n'), /has no manifest\.json .* cannot be verified/);
  for (const [field, value, message] of [
    ['batchInEpoch', 1.5, /field "batchInEpoch" must be a non-negative integer, got 1\.5/],
    ['rng', { words: [0, 0, 0, 0], spareNormal: null }, /field "rng\.words" must be four unsigned 32-bit integers, not all 0/],
    ['best', { step: 99, score: 1 }, /field "best\.step" is 99, after the checkpoint's step 4/],
    ['lastLoss', 'low', /field "lastLoss" must be a finite number or null, got "low"/],
  ] as const) {
    editJson(trainerFile, (t) => { t.step = 4; t[field] = value; });
    assert.throws(() => resumeTiny(dir), message, field);
    editJson(trainerFile, (t) => { t[field] = field === 'best' ? null : field === 'batchInEpoch' ? 0 : field === 'lastLoss' ? 1 : { words: [1, 2, 3, 4], spareNormal: null }; });
  }
  assert.equal(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), metrics);
});

test('a flipped byte in a checkpoint file is detected on resume with the file named', () => {
  const dir = partialRun();
  const file = join(checkpoint(dir, 4), 'trainable.safetensors');
  const bytes = readFileSync(file);
  bytes[bytes.length - 3]! ^= 0x10;
  writeFileSync(file, bytes);
  assert.throws(() => resumeTiny(dir), (err: Error) => err instanceof CheckpointError && err.message.startsWith(`${file} does not match its SHA-256 in manifest.json; the checkpoint is damaged`));
  writeFileSync(file, bytes.subarray(0, 100));
  assert.throws(() => resumeTiny(dir), /trainable\.safetensors has 100 bytes, its manifest says \d+/);
});

test('latest.json naming a missing checkpoint falls back to the newest complete one with a warning', () => {
  const dir = partialRun();
  writeFileSync(join(dir, 'checkpoints', 'latest.json'), JSON.stringify({ name: 'step-00000008', step: 8 }));
  const warnings: string[] = [];
  const result = resumeTiny(dir, {}, warnings);
  assert.equal(result.resumedFrom, 4);
  assert.equal(result.steps, 9);
  assert.match(warnings.join('\n'), /latest\.json names step-00000008, which is missing; resuming from the newest complete checkpoint, step-00000004/);

  const killed = partialRun();
  rmSync(join(killed, 'checkpoints', 'latest.json'));
  const alone: string[] = [];
  assert.equal(resumeTiny(killed, {}, alone).resumedFrom, 4);
  assert.match(alone.join('\n'), /has no latest\.json \(a save was interrupted\); resuming from the newest complete checkpoint, step-00000004/);
});

test('latest.json may only name a checkpoint folder inside checkpoints/', () => {
  const dir = partialRun();
  for (const name of ['../../etc', 'step-00000004/../../..', '/tmp', 'step-4']) {
    writeFileSync(join(dir, 'checkpoints', 'latest.json'), JSON.stringify({ name, step: 4 }));
    assert.throws(() => resumeTiny(dir), /latest\.json: field "name" must be a checkpoint folder of checkpoints\/ \(step-NNNNNNNN\)/, name);
  }
  writeFileSync(join(dir, 'checkpoints', 'latest.json'), JSON.stringify({ name: 'step-00000004', step: 2 }));
  assert.throws(() => resumeTiny(dir), /latest\.json: field "step" is 2, but "name" is "step-00000004"/);
});

test('temp folders of killed checkpoint saves are removed when the run is opened', () => {
  const dir = partialRun();
  const stale = join(dir, 'checkpoints', '.step-00000006.tmp-99999');
  mkdirSync(stale);
  writeFileSync(join(stale, 'trainable.safetensors'), 'half');
  const warnings: string[] = [];
  RunDirectory.open(dir, { resume: true, warn: (m) => warnings.push(m) });
  assert.equal(existsSync(stale), false);
  assert.match(warnings.join('\n'), /removed 1 unfinished checkpoint folder\(s\) left by a killed save \(\.step-00000006\.tmp-99999\)/);
  assert.equal(resumeTiny(dir).resumedFrom, 4);
});

test('optimizer state named __proto__::m never reaches Object.prototype, and state for a parameter the model lacks is refused', () => {
  for (const [param, message] of [['__proto__', /optimizer state for '__proto__', which is not a trainable parameter of this model/], ['constructor', /optimizer state for 'constructor'/], ['model.layers.9.mlp', /optimizer state for 'model\.layers\.9\.mlp'/]] as const) {
    const dir = partialRun();
    const file = join(checkpoint(dir, 4), 'optimizer.safetensors');
    const reader = openSafetensors(file);
    const tensors = reader.names().map((name, i) => ({ name: i < 2 ? `${param}::${name.split('::')[1]}` : name, shape: reader.shape(name), data: reader.read(name) }));
    reader.close();
    writeSafetensors(file, tensors);
    rmSync(join(checkpoint(dir, 4), 'manifest.json'));
    assert.throws(() => resumeTiny(dir), message);
    assert.equal(Object.hasOwn(Object.prototype, 'm'), false);
    assert.equal(Object.hasOwn(Object.prototype, 'v'), false);
    assert.equal(({} as Record<string, unknown>).m, undefined);
  }
});

test('an objective\'s own state is saved with each checkpoint and handed back on resume', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'toolken-state-')), 'run');
  const counting = (restored: ObjectiveState[]) => {
    const model = DecoderModel.random(tinyConfig, 3);
    const sft = new SftObjective({ model, train: tinyExamples(), settings: tinySftConfig });
    let losses = 0;
    const objective: Objective<TrainBatch> = {
      batches: (epoch) => sft.batches(epoch),
      weight: (b) => sft.weight(b),
      tokens: (b) => sft.tokens(b),
      loss: (b) => { losses++; return sft.loss(b); },
      state: () => ({ losses }),
      loadState: (state) => { restored.push(state); losses = (state as { losses: number }).losses; },
    };
    return { model, objective };
  };
  const first = counting([]);
  new Trainer({ ...first, config: { ...tinySftConfig, maxSteps: 4 } }).train({ run: RunDirectory.open(dir, { resume: true }), showProgress: false });
  const restored: ObjectiveState[] = [];
  const second = counting(restored);
  const result = new Trainer({ ...second, config: tinySftConfig }).train({ run: RunDirectory.open(dir, { resume: true }), showProgress: false });
  assert.equal(result.resumedFrom, 4);
  // An epoch is 5 micro-batches in steps of 2, 2 and 1, so 7 losses had run when the step-4 checkpoint was written.
  assert.deepEqual(restored, [{ losses: 7 }]);
});

test('trainAsync cancelled mid-run saves a checkpoint at the step it reached; train on the same run resumes there and ends as an uninterrupted run', async () => {
  const losses = (dir: string): number[] => trainLosses(dir).map(([, loss]) => loss);
  const straight = join(mkdtempSync(join(tmpdir(), 'toolken-abort-')), 'run');
  resumeTiny(straight);

  const interrupted = join(mkdtempSync(join(tmpdir(), 'toolken-abort-')), 'run');
  const model = DecoderModel.random(tinyConfig, 3);
  const objective = new SftObjective({ model, train: tinyExamples(), settings: tinySftConfig });
  const controller = new AbortController();
  // Step 3 is between the every-2-steps checkpoints, so only the cancellation can have saved it.
  const run = new Trainer({ model, objective, config: tinySftConfig }).trainAsync({
    run: RunDirectory.open(interrupted, { resume: true }), showProgress: false, signal: controller.signal,
    onStep: (step) => { if (step === 3) controller.abort(new Error('stopped by the user')); },
  });
  await assert.rejects(run, /stopped by the user/);
  assert.ok(existsSync(checkpoint(interrupted, 3)), 'a checkpoint at step 3');
  assert.equal(resumeTiny(interrupted).resumedFrom, 3);
  assert.deepEqual(losses(interrupted), losses(straight));
});

test('trainAsync that is not cancelled returns what train returns', async () => {
  const model = DecoderModel.random(tinyConfig, 3);
  const objective = new SftObjective({ model, train: tinyExamples(), settings: tinySftConfig });
  const dir = join(mkdtempSync(join(tmpdir(), 'toolken-async-')), 'run');
  const result = await new Trainer({ model, objective, config: tinySftConfig }).trainAsync({ run: RunDirectory.open(dir, { resume: true }), showProgress: false });
  assert.equal(result.steps, 9);
  assert.deepEqual(trainLosses(dir).map(([step]) => step), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('with SGD and momentum the Trainer lowers the loss, and a resumed run continues its momentum exactly', () => {
  const config = { ...tinySftConfig, optimizer: 'sgd' as const, momentum: 0.9, lr: 0.05, schedule: 'constant' as const, warmup: 0 };
  const losses = (dir: string): number[] => trainLosses(dir).map(([, loss]) => loss);
  const straight = join(mkdtempSync(join(tmpdir(), 'toolken-sgd-')), 'run');
  resumeTiny(straight, config);
  const curve = losses(straight);
  assert.equal(curve.length, 9);
  assert.ok(curve[8]! < curve[0]! * 0.95, `loss ${curve[0]} -> ${curve[8]}`);
  const interrupted = join(mkdtempSync(join(tmpdir(), 'toolken-sgd-')), 'run');
  resumeTiny(interrupted, { ...config, maxSteps: 4 });
  assert.equal(resumeTiny(interrupted, config).resumedFrom, 4);
  assert.deepEqual(losses(interrupted), curve);
});
