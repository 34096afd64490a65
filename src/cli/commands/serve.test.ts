import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { demoCatalog } from '../../data/demo/catalog.js';
import { FINISH_TOOL } from '../../methods/toolgen/examples.js';
import { saveToolGenModel } from '../../methods/toolgen/model.js';
import { tinyToolGen } from '../../methods/toolgen/testing/tiny-toolgen.js';
import { saveModel } from '../../models/save.js';
import { tinyServedModel } from '../../serve/testing-model.js';
import { command } from './serve.js';
import { runCommand } from '../testing/capture.js';
import { startServingCli } from '../testing/source-cli.js';


test('serve --help names the flags; bad flags are usage errors', async () => {
  const help = await runCommand(command, ['--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--model', '--port', '--host', '--api-key', '--slots', '--max-queue']) assert.ok(help.stdout.includes(flag), flag);
  await assert.rejects(command.run(['--model', 'x', '--slots', '0']), /--slots must be at least 1/);
  // Checked with the flags, before the model loads, not by Node's listen() afterwards.
  await assert.rejects(command.run(['--model', 'x', '--port', '99999']), /--port must be in \[0, 65535\], got 99999$/);
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
  const cli = await startServingCli(t, ['serve', '--model', modelDir, '--port', '0', '--api-key', 'k', ...quantize], /on (http:\/\/127\.0\.0\.1:\d+\/v1)/);
  const base = cli.address;
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
  assert.equal(await cli.stop(), 0);
});

test('toolken serve --playground --api-key: the dashboard at / opens with the key, and its playground answers from its own thread', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-serve-playground-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tools = demoCatalog().slice(0, 4);
  const model = join(dir, 'toolgen');
  saveToolGenModel(await tinyToolGen([...tools, FINISH_TOOL], { documented: tools, vocabSize: 320, maxPositions: 1024 }), model, tools);
  const cli = await startServingCli(t, ['serve', '--model', model, '--port', '0', '--api-key', 'k', '--playground', '--max-steps', '2'], /dashboard \(with the playground\) at (http:\/\/127\.0\.0\.1:\d+)\/\?key=/);
  const page = cli.address;
  assert.equal((await fetch(`${page}/`)).status, 401, 'the dashboard is behind the key');
  const opened = await fetch(`${page}/?key=k`, { redirect: 'manual' });
  assert.equal(opened.status, 303);
  const cookie = opened.headers.get('set-cookie')!.split(';')[0]!;
  const index = (await (await fetch(`${page}/dashboard/api/runs`, { headers: { cookie } })).json()) as { playground: boolean; server: boolean };
  assert.deepEqual([index.playground, index.server], [true, true]);
  const asked = await fetch(`${page}/dashboard/api/playground`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ request: 'Add 2 and 3', k: 3 }) });
  assert.equal(asked.status, 200);
  const { answer } = (await asked.json()) as { answer: { tools: { toolId: string }[]; steps: unknown[] } };
  assert.equal(answer.tools.length, 3);
  assert.ok(answer.tools.every((tool) => tools.some((known) => known.id === tool.toolId) || tool.toolId === FINISH_TOOL.id));
  assert.ok(answer.steps.length <= 2, 'at most --max-steps steps');
  assert.equal((await fetch(`${page}/v1/models`)).status, 401, 'the API still needs the bearer token');
  assert.equal((await fetch(`${page}/v1/models`, { headers: { authorization: 'Bearer k' } })).status, 200);
  assert.equal(await cli.stop(), 0);
});
