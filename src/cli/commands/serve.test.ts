import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { saveModel } from '../../models/save.js';
import { tinyServedModel } from '../../serve/testing-model.js';
import { command } from './serve.js';
import { runCommand } from '../testing/capture.js';
import { SOURCE_CLI } from '../testing/source-cli.js';


test('serve --help names the flags; bad flags are usage errors', async () => {
  const help = await runCommand(command, ['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--model', '--port', '--host', '--api-key', '--slots', '--max-queue']) assert.ok(help.stdout.includes(flag), flag);
  await assert.rejects(command.run(['--model', 'x', '--slots', '0']), /--slots must be at least 1/);
});

test('serve --catalog needs a ToolGen model, and says so before loading it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = tinyServedModel();
  const modelDir = join(dir, 'plain');
  saveModel(served.source.model as Parameters<typeof saveModel>[0], served.tokenizer, modelDir);
  await assert.rejects(command.run(['--model', modelDir, '--catalog', join(dir, 'catalog.json')]), /--catalog needs a ToolGen model: --model .*plain has no tool-index\.json/);
});

for (const quantize of [[], ['--quantize', 'q8_0'], ['--quantize', 'q4_0'], ['--quantize', 'bf16']]) test(`toolken serve${quantize.map((a) => ' ' + a).join('')} answers the openai client on loopback and shuts down on SIGTERM`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const served = tinyServedModel();
  const modelDir = join(dir, 'tiny-model');
  saveModel(served.source.model as Parameters<typeof saveModel>[0], served.tokenizer, modelDir);
  const child = spawn(process.execPath, [...SOURCE_CLI, 'serve', '--model', modelDir, '--port', '0', '--api-key', 'k', ...quantize], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  const base = await new Promise<string>((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(stderr);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  const client = new OpenAI({ baseURL: base, apiKey: 'k', maxRetries: 0 });
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['tiny-model']);
  const reply = await client.chat.completions.create({
    model: 'tiny-model',
    messages: [{ role: 'user', content: 'weather?' }],
    tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 8 } }, required: ['city'] } } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    max_tokens: 60,
  });
  const call = reply.choices[0]!.message.tool_calls![0]!;
  assert.equal(call.type === 'function' ? call.function.name : '', 'get_weather');
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});
