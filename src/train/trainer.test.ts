import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunDirectory } from './run-dir.js';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { generate } from '../generate/generate.js';
import { defaultSftConfig, SftObjective } from './objectives/sft.js';
import { Trainer } from './trainer.js';

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
