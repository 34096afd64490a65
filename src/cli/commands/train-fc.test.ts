// `toolken train sft`: checked data, an explicit split, a LoRA run with resume, and a PEFT adapter in final/.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { demoCatalog } from '../../data/demo/catalog.js';
import { saveModel } from '../../models/save.js';
import { toolDocument } from '../../tools/catalog.js';
import { scratchModel, trainScratchTokenizer } from '../../train/scratch.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { interruptTraining, loggedSteps } from '../testing/interrupt-training.js';
import { command as train } from './train.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-train-sft-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const model = join(dir, 'base');
before(() => {
  const tokenizer = trainScratchTokenizer(demoCatalog().map(toolDocument), 400);
  saveModel(scratchModel(tokenizer, { vocabSize: 400, dim: 16, layers: 1, heads: 2, kvHeads: 1, hiddenDim: 32, maxPositions: 1024, seed: 1 }), tokenizer, model);
});
/** The test runner reports a starting test on stdout a moment later; let it before capturing the command's stdout. */
const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 20));

const weather = { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } };
const line = (args: Record<string, unknown>) => JSON.stringify({ messages: [{ role: 'user', content: 'Weather?' }, { role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'get_weather', arguments: args } }] }], tools: [weather] });
const userFile = join(dir, 'user.jsonl');
writeFileSync(userFile, [line({ city: 'Paris' }), line({ town: 'Oslo' }), line({ city: 'Rome' })].join('\n') + '\n');

const sft = (...argv: string[]) => runCommand(train, ['sft', ...argv]);
const rejectsWith = (promise: Promise<unknown>, message: RegExp) => assert.rejects(promise, (err: unknown) => err instanceof CliError && message.test(err.message));
const common = ['--model', model, '--data', 'demo:1', '--data', userFile, '--style', 'prompting', '--max-length', '1024', '--batch-size', '4', '--checkpoint-every', '2', '--lora-rank', '2'];

test('train sft: skips and lists the examples the checker rejects, writes the split, trains LoRA and saves a PEFT adapter', async () => {
  const out = join(dir, 'run');
  await settle();
  const result = await sft(...common, '--out', out, '--max-steps', '2');
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), join(out, 'final'));
  assert.match(result.stderr, /skipped .*user\.jsonl:2 .*simple_function_checker:missing_required: messages\[1\]: Missing required parameter: 'city'/);
  assert.match(result.stderr, /skipped 1 of \d+ examples that fail the BFCL checker/);
  // The scratch tokenizer writes the prompting-style system prompt (every offered tool's JSON) in many tokens.
  assert.match(result.stderr, /left out \d+ training examples whose answer lies beyond --max-length 1024/);
  assert.match(readFileSync(join(out, 'data-failures.txt'), 'utf8'), /user\.jsonl:2 /);
  const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { train: string[]; validation: string[]; test: string[] };
  assert.deepEqual(split.test, []);
  assert.ok(split.train.some((id) => id.startsWith('demo/')) && split.train.some((id) => id.startsWith(userFile)));
  const adapter = JSON.parse(readFileSync(join(out, 'final', 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual([adapter['peft_type'], adapter['r'], adapter['lora_alpha'], adapter['base_model_name_or_path']], ['LORA', 2, 4, model]);
  assert.ok(existsSync(join(out, 'final', 'adapter_model.safetensors')));

  const resumed = await sft(...common, '--out', out, '--max-steps', '2', '--resume');
  assert.equal(resumed.code, 0, resumed.stderr);
  await rejectsWith(sft(...common, '--out', out, '--max-steps', '3', '--resume', '--lora-rank', '4'), /started with different options \(adapter\.lora\.rank: 2 then, 4 now; adapter\.lora\.alpha: 4 then, 8 now; sft\.maxSteps: 2 then, 3 now\)/);
  await rejectsWith(sft(...common, '--out', out, '--max-steps', '2', '--resume', '--precision', 'bf16'), /started with different options \(sft\.precision: "fp32" then, "bf16" now\)/);
});

test('train sft --precision bf16: trains in mixed precision and records it in the run\'s config; other values are usage errors', async () => {
  const out = join(dir, 'bf16');
  await settle();
  const result = await sft(...common, '--out', out, '--max-steps', '1', '--precision', 'bf16');
  assert.equal(result.code, 0, result.stderr);
  const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { sft: { precision: string } };
  assert.equal(config.sft.precision, 'bf16');
  await rejectsWith(sft(...common, '--out', join(dir, 'fp16'), '--precision', 'fp16'), /^--precision must be one of fp32, bf16, got 'fp16'/);
  assert.match((await sft('--help')).stdout, /--precision <fp32\|bf16>/);
});

test('train sft --quantize q4_0|nf4: QLoRA trains a PEFT adapter over a base kept in Q4_0 / NF4 blocks, recorded in the run\'s config; --full is refused with it', async () => {
  await settle();
  for (const type of ['q4_0', 'nf4']) {
    const out = join(dir, `qlora-${type}`);
    const result = await sft(...common, '--out', out, '--max-steps', '2', '--quantize', type);
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as { quantize: string };
    assert.equal(config.quantize, type);
    assert.match(result.stderr, /final loss \d/);
    assert.ok(existsSync(join(out, 'final', 'adapter_model.safetensors')));
  }
  await rejectsWith(sft('--model', model, '--data', 'demo:1', '--full', '--quantize', 'q8_0', '--out', join(dir, 'qfull')), /--quantize freezes the base in quantized blocks, which --full would train/);
  await rejectsWith(sft(...common, '--out', join(dir, 'q2'), '--quantize', 'q2_k'), /^--quantize must be one of q8_0, q4_0, bf16, nf4, got 'q2_k'/);
});

test('train sft: --reject-invalid refuses bad data, naming the file and line; bad flags and formats are explained', async () => {
  await settle();
  await rejectsWith(sft(...common, '--out', join(dir, 'r2'), '--reject-invalid'), /1 training example\(s\) fail the BFCL checker:\n {2}.*user\.jsonl:2 /);
  assert.equal(existsSync(join(dir, 'r2')), false);
  await rejectsWith(sft('--model', model, '--out', join(dir, 'r3'), '--full', '--lora-rank', '4', '--data', userFile), /--full trains every weight: drop the --lora-\* flags/);
  await rejectsWith(sft('--model', model, '--out', join(dir, 'r3')), /give --data/);
  await rejectsWith(sft('--model', model, '--out', join(dir, 'r3'), '--data', 'bfcl:/nowhere:simple_java'), /cannot be training data/);
  // A ChatML tokenizer has no tool support: the FC style would teach empty answers.
  await rejectsWith(sft('--model', model, '--out', join(dir, 'r4'), '--data', userFile, '--style', 'fc'), /chat template does not write the assistant's tool_calls.*prompting style/);
  const help = await sft('--help');
  assert.match(help.stdout, /--lora-targets/);
});

test('Ctrl-C during train sft saves a checkpoint at the step reached, exits 130 saying how to resume, and --resume completes the run', async () => {
  const out = join(dir, 'interrupted');
  // The common flags with no periodic checkpoint: only the interruption can write one.
  const flags = common.map((a, i) => (common[i - 1] === '--checkpoint-every' ? '0' : a));
  const args = ['sft', ...flags, '--epochs', '400', '--max-steps', '400', '--out', out];
  const savedStep = await interruptTraining(args, out);
  assert.ok(savedStep >= 3 && savedStep < 400, `saved at step ${savedStep}`);
  assert.equal(existsSync(join(out, 'final')), false);

  await settle();
  const resumed = await runCommand(train, [...args, '--resume']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.ok(existsSync(join(out, 'final', 'adapter_model.safetensors')));
  assert.deepEqual(loggedSteps(out), Array.from({ length: 400 }, (_, i) => i + 1), 'every step once: the steps before the interruption, then the rest');
});
