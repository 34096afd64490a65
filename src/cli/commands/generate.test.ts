import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { command } from './generate.js';
import { CliError } from '../args.js';
import { runCommand } from '../testing/capture.js';
import { SOURCE_CLI } from '../testing/source-cli.js';
import { spawn } from 'node:child_process';

const stories = fileURLToPath(new URL('../../../../shared/models/stories260K/', import.meta.url));
const present = existsSync(stories + 'reference.json');

const toolkenGenerate = (...argv: string[]): ReturnType<typeof runCommand> => runCommand(command, argv);

test('generate prints only the greedy continuation of the prompt on stdout (llama2.c checkpoint, tokenizer found beside it)', async (t) => {
  if (!present) return t.skip('../shared absent');
  const reference = (JSON.parse(readFileSync(stories + 'reference.json', 'utf8')) as { cases: { prompt: string; text: string }[] }).cases[0]!;
  const r = await toolkenGenerate('--model', stories + 'stories260K.bin', '--prompt', reference.prompt, '--max-tokens', '30');
  assert.equal(r.code, 0);
  assert.ok(r.stdout.length > 60);
  assert.ok(reference.text.startsWith(reference.prompt + r.stdout.replace(/\n$/, '')), JSON.stringify(r.stdout));
  assert.match(r.stderr, /30 tokens in .* s \(length\)/);
});

test('generate reports bad input as a CliError naming the input', async (t) => {
  if (!present) return t.skip('../shared absent');
  const cases: [string[], RegExp][] = [
    [['--model', '/nonexistent/model.bin', '--prompt', 'x'], /"\/nonexistent\/model\.bin" is neither an existing file or directory nor a Hugging Face model id/],
    [['--model', stories + 'stories260K.bin', '--prompt', 'x', '--temperature', '-1'], /^--temperature must be at least 0, got -1$/],
    [['--model', stories + 'stories260K.bin', '--prompt', 'x', '--chat'], /--chat: .*stories260K\.bin has no chat template/],
    [['--model', stories + 'stories260K.bin'], /--prompt is required/],
    [['--model', stories + 'stories260K.bin', '--prompt', 'hi', '--max-tokens', '100000'], /--max-tokens 100000 does not fit: .* holds 512 positions and the prompt takes 3, so the largest --max-tokens that works is 509/],
    [['--model', stories.slice(0, -1), '--prompt', 'x'], /no config\.json, so it is not a Hugging Face model directory; it holds checkpoint files: pass one of them, e\.g\. .*stories260K\.bin \(also: stories260K\.gguf\)/],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(toolkenGenerate(...argv), (err: unknown) => err instanceof CliError && message.test(err.message) && err.exitCode === 2);
  }
});

test('generate checks sampling flags before it loads the model, naming them as typed', async () => {
  // The model does not exist: a flag error first proves no load was attempted.
  const cases: [string[], RegExp][] = [
    [['--top-p', '3'], /^--top-p must be in \(0, 1\], got 3$/],
    [['--top-p', '0'], /^--top-p must be in \(0, 1\], got 0$/],
    [['--top-k', '-2'], /^--top-k must be at least 0, got -2$/],
    [['--max-tokens', '0'], /^--max-tokens must be at least 1, got 0$/],
    [['--repetition-penalty', '0'], /^--repetition-penalty must be > 0, got 0$/],
    [['--stop', ''], /^--stop must not be empty$/],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(toolkenGenerate('--model', '/nonexistent/model.bin', '--prompt', 'x', ...argv), (err: unknown) => err instanceof CliError && message.test(err.message));
  }
});

test('generate --quantize q8_0|q4_0|bf16|nf4 runs the model on weights kept in that format and says so; other types are refused before loading', async (t) => {
  await assert.rejects(toolkenGenerate('--model', '/nonexistent/model.bin', '--prompt', 'x', '--quantize', 'q5_0'),
    (err: unknown) => err instanceof CliError && /^--quantize must be one of q8_0, q4_0, bf16, nf4, got 'q5_0'/.test(err.message));
  if (!present) return t.skip('../shared absent');
  const reference = (JSON.parse(readFileSync(stories + 'reference.json', 'utf8')) as { cases: { prompt: string; text: string }[] }).cases[0]!;
  for (const type of ['q8_0', 'q4_0', 'bf16', 'nf4']) {
    const r = await toolkenGenerate('--model', stories + 'stories260K.bin', '--prompt', reference.prompt, '--max-tokens', '30', '--quantize', type);
    assert.equal(r.code, 0);
    assert.match(r.stderr, new RegExp(`\\(llama2c, llama, 5 layers, ${type} weights\\)`));
    const continuation = reference.text.slice(reference.prompt.length);
    // 8- and 16-bit weights keep stories260K's greedy text; 4-bit ones keep its first sentence, then drift.
    const agreeing = type === 'q8_0' || type === 'bf16' ? r.stdout.replace(/\n$/, '').length : 40;
    assert.equal(r.stdout.slice(0, agreeing), continuation.slice(0, agreeing), `${type}: ${JSON.stringify(r.stdout)}`);
  }
});

test('generate piped into a reader that stops early (`| head`) ends with exit code 0 and no error', async (t) => {
  if (!present) return t.skip('../shared absent');
  const child = spawn(process.execPath, [...SOURCE_CLI, 'generate', '--model', stories + 'stories260K.bin', '--prompt', 'Once upon', '--max-tokens', '400'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // The reader takes the first piece of text and closes its end, as `head -c 20` does.
  child.stdout.once('data', () => child.stdout.destroy());
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE|Error/);
});
