/**
 * Retrieval-free tool use through the OpenAI API: a ToolGen model trained (retrieval stage, a few seconds) on four
 * demo tools, served with its catalog, is asked with no `tools` at all and answers with a call of the catalog tool
 * its queries name, whose arguments validate against that tool's schema. The official `openai` client talks to the
 * server on 127.0.0.1.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { trainedToolGen } from '../methods/toolgen/testing/trained-toolgen.js';
import { GenerativeRetriever } from '../retrieval/generative.js';
import type { Tool } from '../tools/types.js';
import { validateJson } from '../tools/validate.js';
import { renderPrompt } from './prompt.js';
import { DEFAULT_REQUEST_LIMITS } from './request.js';
import { apiNames, serveCatalog } from './served-catalog.js';
import { serveModel } from './served-model.js';
import { createToolkenServer } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-serve-catalog-'));
const trained = await trainedToolGen(dir);
const { tg, tools, queries } = trained;
const base = serveModel('toolgen', { model: tg.model, tokenizer: tg.tokenizer, config: tg.model.config });
const catalog = serveCatalog(base, tg.index, tools, DEFAULT_REQUEST_LIMITS);
const server = createToolkenServer({ ...base, catalog }, { maxTokens: 128 });
const { port } = await server.listen(0, '127.0.0.1');
const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const toolById = new Map(tools.map((t) => [t.id, t]));
const toolOfName = (name: string): Tool => catalog.byApiName.get(name)!.tool;
const ask = (content: string) => [{ role: 'user' as const, content }];

test('API names keep a valid unique tool name, else the id made valid, numbered when taken', () => {
  const tool = (id: string, name: string): Tool => ({ id, name, description: '', parameters: { type: 'object', properties: {}, required: [] } });
  assert.deepEqual(
    apiNames([tool('a', 'get_weather'), tool('weather&&forecast', 'forecast'), tool('news&&forecast', 'forecast'), tool('x', 'bad name'), tool('x y', 'bad name')]),
    ['get_weather', 'weather__forecast', 'news__forecast', 'x', 'x_y'],
  );
  assert.deepEqual(apiNames([tool('a.b', 'n'), tool('a b', 'n'), tool('n', 'm')]), ['a_b', 'a_b_2', 'm']);
  assert.equal(apiNames([tool('z'.repeat(80), 'bad name')])[0]!.length, 64);
});

test('a request with no tools is answered with a call of the catalog tool its query needs, arguments under its schema', async () => {
  const retriever = new GenerativeRetriever(tg);
  // The served turn reads exactly the prompt the retrieval stage trains on.
  assert.deepEqual(renderPrompt(tg.tokenizer, ask(queries[0]!.query), []), retriever.promptIds(queries[0]!.query));
  let right = 0;
  for (const q of queries) {
    const reply = await client.chat.completions.create({ model: 'toolgen', messages: ask(q.query), temperature: 0 });
    const choice = reply.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.content, null);
    const calls = choice.message.tool_calls!;
    assert.equal(calls.length, 1);
    const call = calls[0]!;
    assert.ok(call.type === 'function');
    const tool = toolOfName(call.function.name);
    // The call is the model's own top-ranked tool, and its arguments validate.
    assert.equal(tool.id, retriever.rank(q.query, 1)[0]!.toolId);
    assert.deepEqual(validateJson(tool.parameters, JSON.parse(call.function.arguments)), [], call.function.arguments);
    if (tool.id === q.relevant[0]) right++;
  }
  assert.ok(right >= queries.length - 2, `the gold tool on ${right} of ${queries.length} queries`);
});

test('streamed, the catalog call arrives as the API streams calls and reassembles into the non-streamed one', async () => {
  const request = { model: 'toolgen', messages: ask(queries[4]!.query), temperature: 0 } as const;
  const whole = (await client.chat.completions.create(request)).choices[0]!.message.tool_calls![0]!;
  const stream = await client.chat.completions.create({ ...request, stream: true });
  let name = '';
  let args = '';
  let heads = 0;
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice === undefined) continue;
    for (const delta of choice.delta.tool_calls ?? []) {
      assert.equal(delta.index, 0);
      if (delta.id !== undefined) {
        heads++;
        assert.equal(delta.type, 'function');
        name = delta.function?.name ?? '';
      }
      args += delta.function?.arguments ?? '';
    }
    finish = choice.finish_reason ?? finish;
  }
  assert.equal(heads, 1);
  assert.equal(finish, 'tool_calls');
  assert.ok(whole.type === 'function');
  assert.equal(name, whole.function.name);
  assert.equal(args, whole.function.arguments);
});

test('tool_choice names a catalog tool to force it; required forces a call; none answers in text', async () => {
  const circle = catalog.byId.get('circle_area')!;
  const named = await client.chat.completions.create({
    model: 'toolgen',
    messages: ask(queries[0]!.query),
    tool_choice: { type: 'function', function: { name: circle.apiName } },
    temperature: 0,
  });
  const call = named.choices[0]!.message.tool_calls![0]!;
  assert.ok(call.type === 'function');
  assert.equal(call.function.name, circle.apiName);
  assert.deepEqual(validateJson(circle.tool.parameters, JSON.parse(call.function.arguments)), []);

  const required = await client.chat.completions.create({ model: 'toolgen', messages: ask('hello there'), tool_choice: 'required', temperature: 1, seed: 4 });
  assert.equal(required.choices[0]!.finish_reason, 'tool_calls');
  assert.ok(toolById.has(toolOfName((required.choices[0]!.message.tool_calls![0]! as { function: { name: string } }).function.name).id));

  const none = await client.chat.completions.create({ model: 'toolgen', messages: ask(queries[0]!.query), tool_choice: 'none', max_tokens: 8, seed: 1 });
  assert.equal(none.choices[0]!.message.tool_calls, undefined);
  assert.ok(['stop', 'length'].includes(none.choices[0]!.finish_reason));
});

test('a tool result goes back in the conversation; a named tool outside the catalog is a 400 naming tool_choice', async () => {
  const first = await client.chat.completions.create({ model: 'toolgen', messages: ask(queries[0]!.query), temperature: 0 });
  const call = first.choices[0]!.message.tool_calls![0]!;
  const next = await client.chat.completions.create({
    model: 'toolgen',
    messages: [...ask(queries[0]!.query), first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '42' }],
    temperature: 0,
    max_tokens: 64,
  });
  assert.ok(['stop', 'length', 'tool_calls'].includes(next.choices[0]!.finish_reason));

  await assert.rejects(
    client.chat.completions.create({ model: 'toolgen', messages: ask('hi'), tool_choice: { type: 'function', function: { name: 'launch_rockets' } } }),
    (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'tool_choice' && /launch_rockets.*not in the served catalog/.test(err.message),
  );
});

test('a request that lists its own tools is served from them, not from the catalog', async () => {
  const reply = await client.chat.completions.create({
    model: 'toolgen',
    messages: ask(queries[0]!.query),
    tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { key: { type: 'string', maxLength: 4 } }, required: ['key'] } } }],
    tool_choice: 'required',
    parallel_tool_calls: false,
    max_tokens: 80,
  });
  const call = reply.choices[0]!.message.tool_calls![0]!;
  assert.ok(call.type === 'function');
  assert.equal(call.function.name, 'lookup');
});
