// `toolken train dpo` and `toolken train rl --method filtered|grpo` from the CLI on a tiny model: an SFT run first
// (full, and LoRA whose adapter directory is given as --model), then each method writes a run directory with
// metrics and final/; bad input is a one-line error naming the flag.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { saveModel } from '../../models/save.js';
import { defaultPromptingSystemPrompt } from '../../methods/function-calling/train-render.js';
import { scratchModel, trainScratchTokenizer } from '../../train/scratch.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { interruptTraining, loggedSteps } from '../testing/interrupt-training.js';
import { SOURCE_CLI } from '../testing/source-cli.js';
import { command as train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-train-policy-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 20));

const weather = { type: 'function' as const, function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] } } };
const cities = [['Paris', 3], ['Oslo', 2], ['Rome', 5]] as const;
const line = (city: string, days: number) => JSON.stringify({ id: city, messages: [{ role: 'user', content: `Weather in ${city} for ${days} days?` }, { role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: { city, days } } }] }], tools: [weather] });
const data = join(dir, 'weather.jsonl');
writeFileSync(data, cities.map(([c, d]) => line(c, d)).join('\n') + '\n');

const base = join(dir, 'base');
before(() => {
  // A tokenizer trained on the leaderboard's system prompt keeps the prompting-style prompts short.
  const prompt = defaultPromptingSystemPrompt([weather]);
  const texts = cities.flatMap(([c, d]) => [prompt, `Weather in ${c} for ${d} days?`, `[get_weather(city='${c}', days=${d})]`]);
  const tokenizer = trainScratchTokenizer([...texts, ...texts, ...texts], 700);
  saveModel(scratchModel(tokenizer, { vocabSize: 700, dim: 32, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 64, maxPositions: 512, seed: 1 }), tokenizer, base);
});

const run = (...argv: string[]) => runCommand(train, argv);
const rejectsWith = (promise: Promise<unknown>, message: RegExp) => assert.rejects(promise, (err: unknown) => err instanceof CliError && message.test(err.message));
const shared = ['--data', data, '--style', 'prompting', '--val-fraction', '0', '--max-length', '448', '--batch-size', '3', '--schedule', 'constant', '--warmup', '0'];
const sftModel = join(dir, 'sft', 'final');

test('train sft --full, then train dpo and train rl --method filtered|grpo from the SFT model: run directories with metrics', async () => {
  await settle();
  const sft = await run('sft', '--model', base, ...shared, '--full', '--lr', '0.02', '--epochs', '100', '--checkpoint-every', '0', '--out', join(dir, 'sft'));
  assert.equal(sft.code, 0, sft.stderr);
  const policy = ['--model', sftModel, ...shared, '--samples', '6', '--max-tokens', '24', '--lora-rank', '2', '--lora-targets', 'q_proj,v_proj', '--lr', '0.02'];

  const dpo = await run('dpo', ...policy, '--epochs', '2', '--out', join(dir, 'dpo'));
  assert.equal(dpo.code, 0, dpo.stderr);
  assert.match(dpo.stderr, /dpo pairs: [1-9]\d* mined from 3 prompts x 6 samples; skipped \d+ prompts answered right in every sample, 0 that do not fit/);
  assert.equal(dpo.stdout.trim(), join(dir, 'dpo', 'final'));
  assert.ok(readFileSync(join(dir, 'dpo', 'metrics.jsonl'), 'utf8').includes('reward_margin'));
  assert.ok(existsSync(join(dir, 'dpo', 'dpo-pairs.json')) && existsSync(join(dir, 'dpo', 'split.json')));
  const config = JSON.parse(readFileSync(join(dir, 'dpo', 'final', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([config['r'], config['base_model_name_or_path']], [2, sftModel]);

  const filtered = await run('rl', '--method', 'filtered', ...policy, '--epochs', '1', '--out', join(dir, 'filtered'));
  assert.equal(filtered.code, 0, filtered.stderr);
  assert.match(filtered.stderr, /reward filtering: [1-9]\d* of 18 samples passed the checker \(\d of 3 prompts\), \d+ distinct kept/);
  assert.ok(existsSync(join(dir, 'filtered', 'filtered.json')) && existsSync(join(dir, 'filtered', 'final', 'adapter_model.safetensors')));

  const grpo = await run('rl', '--method', 'grpo', ...policy, '--partial-credit', '--epochs', '2', '--out', join(dir, 'grpo'));
  assert.equal(grpo.code, 0, grpo.stderr);
  assert.match(grpo.stderr, /rl grpo: 2 steps/);
  const metrics = readFileSync(join(dir, 'grpo', 'metrics.jsonl'), 'utf8');
  assert.ok(metrics.includes('"reward_mean"') && metrics.includes('"kl"'));
});

test('train rl from a LoRA SFT adapter directory: the base is read from the adapter, final/ stacks both adapters; --full trains every weight', async () => {
  await settle();
  const sft = await run('sft', '--model', base, ...shared, '--lora-rank', '2', '--max-steps', '1', '--out', join(dir, 'sft-lora'));
  assert.equal(sft.code, 0, sft.stderr);
  const grpo = await run('rl', '--method', 'grpo', '--model', join(dir, 'sft-lora', 'final'), ...shared, '--samples', '2', '--max-tokens', '8', '--lora-rank', '3', '--max-steps', '1', '--out', join(dir, 'grpo-lora'));
  assert.equal(grpo.code, 0, grpo.stderr);
  const config = JSON.parse(readFileSync(join(dir, 'grpo-lora', 'final', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([config['r'], config['base_model_name_or_path']], [5, base]);
  // --full: every weight trains, a second copy of the SFT model is the reference, final/ is a model directory.
  const full = await run('rl', '--method', 'grpo', '--model', join(dir, 'sft-lora', 'final'), ...shared, '--samples', '2', '--max-tokens', '8', '--full', '--max-steps', '1', '--out', join(dir, 'grpo-full'));
  assert.equal(full.code, 0, full.stderr);
  assert.ok(existsSync(join(dir, 'grpo-full', 'final', 'config.json')) && !existsSync(join(dir, 'grpo-full', 'final', 'adapter_config.json')));
});

// rl --method filtered trains through the same interruptible trainer, on the passes the checker kept. STEPS leaves
// the run going well after the interruption (a few logged steps) while keeping the resumed rest short.
const STEPS = 80;
for (const method of [['dpo'], ['rl', '--method', 'grpo']]) {
  test(`Ctrl-C during train ${method.join(' ')} saves a checkpoint at the step reached, exits 130 saying how to resume, and --resume completes the run`, async () => {
    const out = join(dir, `interrupted-${method.join('-')}`);
    // No periodic checkpoint: only the interruption can write one. The untrained base answers wrong, so DPO has pairs.
    const args = [...method, '--model', base, ...shared, '--samples', '2', '--max-tokens', '8', '--lora-rank', '2', '--checkpoint-every', '0', '--epochs', String(STEPS), '--max-steps', String(STEPS), '--out', out];
    const savedStep = await interruptTraining(args, out);
    assert.ok(savedStep >= 3 && savedStep < STEPS, `saved at step ${savedStep}`);
    assert.equal(existsSync(join(out, 'final')), false);
    await settle();
    const resumed = await run(...args, '--resume');
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(existsSync(join(out, 'final', 'adapter_model.safetensors')));
    assert.deepEqual(loggedSteps(out), Array.from({ length: STEPS }, (_, i) => i + 1), 'every step once: the steps before the interruption, then the rest');
  });
}

// Sampling before the first step (DPO's mining, reward filtering) can outlast the training; it used to ignore Ctrl-C
// (even a second one) until every prompt was sampled.
for (const method of [['dpo'], ['rl', '--method', 'filtered']]) {
  test(`Ctrl-C while train ${method.join(' ')} samples answers stops it at once, exits 130 saying nothing was saved, and leaves no run directory`, async () => {
    const many = join(dir, 'many.jsonl');
    const entry = (i: number) => JSON.stringify({ ...(JSON.parse(line(cities[i % 3]![0], i + 1)) as object), id: `q${i}` });
    writeFileSync(many, Array.from({ length: 400 }, (_, i) => entry(i)).join('\n') + '\n');
    const out = join(dir, `sampling-${method.join('-')}`);
    const child = spawn(process.execPath, [...SOURCE_CLI, 'train', ...method, '--model', base, ...shared.map((a) => (a === data ? many : a)), '--samples', '4', '--max-tokens', '24', '--lora-rank', '2', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let code: number | null | undefined;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve((code = c))));
    // Off a terminal the bar prints its first line after the first batch of prompts: sampling is under way.
    while (!/(mine|sample) \[/.test(stderr)) {
      assert.equal(code, undefined, `the command ended before sampling began: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.match(stderr, /interrupted \(Ctrl-C\) before the first training step: nothing was saved in .*; run the same command again \(without --resume\) to start over/);
    assert.doesNotMatch(stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(stderr, /100% 400\/400/, 'sampling stopped before the last prompt');
    assert.equal(existsSync(out), false);
  });
}

test('train dpo / rl: bad input is a one-line error naming the flag or file', async () => {
  await settle();
  const out = join(dir, 'bad');
  await rejectsWith(run('dpo', '--data', data, '--out', out), /--model/);
  await rejectsWith(run('dpo', '--model', base, '--out', out), /give --data/);
  await rejectsWith(run('dpo', '--model', base, '--data', data, '--out', out, '--beta', '0'), /--beta/);
  await rejectsWith(run('dpo', '--model', base, '--data', data, '--out', out, '--samples', 'many'), /--samples/);
  await rejectsWith(run('rl', '--model', base, '--data', data, '--out', out), /--method/);
  await rejectsWith(run('rl', '--method', 'ppo', '--model', base, '--data', data, '--out', out), /--method.*ppo/);
  await rejectsWith(run('rl', '--method', 'grpo', '--model', base, '--data', data, '--out', out, '--samples', '1'), /--samples must be at least 2 for GRPO/);
  await rejectsWith(run('rl', '--method', 'filtered', '--model', base, '--data', data, '--out', out, '--partial-credit'), /GRPO settings: drop them with --method filtered/);
  await rejectsWith(run('dpo', '--model', join(dir, 'nowhere'), '--data', data, '--out', out), /--model .*nowhere/);
  await rejectsWith(run('dpo', '--model', base, '--data', join(dir, 'missing.jsonl'), '--out', out), /missing\.jsonl: file not found/);
  const twice = join(dir, 'twice.jsonl');
  writeFileSync(twice, line('Paris', 3) + '\n' + line('Paris', 4) + '\n');
  await rejectsWith(run('dpo', '--model', base, '--data', twice, '--out', out), /^--data: example id '.*twice\.jsonl\/Paris' appears twice \(.*twice\.jsonl:2\): give each example its own "id"$/);
  await rejectsWith(run('rl', '--method', 'grpo', '--model', base, '--base', base, '--data', data, '--out', out), /--base is for an adapter --model/);
  assert.equal(existsSync(join(out, 'config.json')), false);
  for (const method of ['dpo', 'rl']) {
    const help = await run(method, '--help');
    assert.match(help.stdout, /--samples/);
  }
});
