/**
 * The server as clients nobody here wrote see it: the official `openai` package against `toolken serve` on
 * 127.0.0.1 with a random-weight model. Random weights say nothing useful, so every assertion is about the
 * contract: shapes, finish reasons, tool calls that name offered tools with arguments that validate, streaming that
 * reassembles into the non-streamed answer, and errors that name the field.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import type { ChatCompletionTool, ChatCompletionMessageToolCall } from 'openai/resources/chat/completions';
import { validateJson } from '../tools/validate.js';
import type { JsonSchema } from '../tools/types.js';
import { createToolkenServer, type ServerOptions, type ToolkenServer } from './server.js';
import { tinyServedModel } from './testing-model.js';

const model = tinyServedModel('tiny', { maxPositions: 1024 });

const weather = {
  type: 'object',
  properties: { city: { type: 'string', maxLength: 12 }, unit: { type: 'string', enum: ['celsius', 'fahrenheit'] } },
  required: ['city', 'unit'],
} as const;
const search = {
  type: 'object',
  properties: { query: { type: 'string', maxLength: 16 }, limit: { type: 'integer', minimum: 1, maximum: 10 } },
  required: ['query', 'limit'],
} as const;
const tools: ChatCompletionTool[] = [
  { type: 'function', function: { name: 'get_weather', description: 'Current weather in a city', parameters: weather } },
  { type: 'function', function: { name: 'search_web', description: 'Search the web', parameters: search } },
];
const schemaOf = (name: string): JsonSchema => (name === 'get_weather' ? weather : search) as unknown as JsonSchema;
const question = [{ role: 'user' as const, content: 'What is the weather in Paris?' }];

const servers: ToolkenServer[] = [];
async function start(options: ServerOptions = {}): Promise<{ client: OpenAI; base: string }> {
  const server = createToolkenServer(model, options);
  servers.push(server);
  const { port } = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}/v1`;
  return { client: new OpenAI({ baseURL: base, apiKey: options.apiKey ?? 'unused', maxRetries: 0 }), base };
}
after(async () => {
  for (const s of servers) await s.close();
});

const { client, base } = await start({ maxBodyBytes: 64 * 1024, limits: { maxMessages: 64, maxTools: 4, maxStringLength: 32, maxArrayItems: 4 } });

function assertValidCall(call: ChatCompletionMessageToolCall, names: readonly string[]): void {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^call_[0-9a-f]{24}$/);
  if (call.type !== 'function') return;
  assert.ok(names.includes(call.function.name), `${call.function.name} is one of ${names.join(', ')}`);
  const args: unknown = JSON.parse(call.function.arguments);
  assert.deepEqual(validateJson(schemaOf(call.function.name), args), [], call.function.arguments);
}

test('GET /v1/models lists the served model and /health answers', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['tiny']);
  const health = (await (await fetch(base.replace('/v1', '/health'))).json()) as { status: string };
  assert.equal(health.status, 'ok');
});

test('a plain chat completion has the API shape and counts its tokens', async () => {
  const reply = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 12, seed: 3 });
  assert.equal(reply.object, 'chat.completion');
  assert.equal(reply.choices.length, 1);
  const choice = reply.choices[0]!;
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  assert.ok(reply.usage!.completion_tokens <= 12 && reply.usage!.prompt_tokens > 0);
});

test('streaming yields the same text as the non-streamed reply with the same seed', async () => {
  const request = { model: 'tiny', messages: question, max_tokens: 16, seed: 11, temperature: 1 } as const;
  const whole = await client.chat.completions.create(request);
  const stream = await client.chat.completions.create({ ...request, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let roles = 0;
  let finish: string | null = null;
  let usage = 0;
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage.completion_tokens;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) roles++;
    text += choice.delta.content ?? '';
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(roles, 1);
  assert.equal(text, whole.choices[0]!.message.content);
  assert.equal(finish, whole.choices[0]!.finish_reason);
  assert.equal(usage, whole.usage!.completion_tokens);
});

test('tool_choice required returns a call to an offered tool whose arguments validate', async () => {
  for (let seed = 0; seed < 4; seed++) {
    const reply = await client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: 'required', max_tokens: 120, seed, temperature: 1 });
    const choice = reply.choices[0]!;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.ok(choice.message.tool_calls!.length >= 1);
    for (const call of choice.message.tool_calls!) assertValidCall(call, ['get_weather', 'search_web']);
  }
});

test('a named tool_choice calls exactly that tool', async () => {
  for (let seed = 0; seed < 3; seed++) {
    const reply = await client.chat.completions.create({
      model: 'tiny', messages: question, tools, tool_choice: { type: 'function', function: { name: 'search_web' } }, parallel_tool_calls: false, max_tokens: 120, seed,
    });
    const calls = reply.choices[0]!.message.tool_calls!;
    assert.equal(calls.length, 1);
    assertValidCall(calls[0]!, ['search_web']);
    assert.equal(reply.choices[0]!.message.content, null);
  }
});

test('parallel tool calls: several valid calls in one turn; parallel_tool_calls false makes exactly one', async () => {
  let most = 0;
  for (let seed = 0; seed < 24 && most < 2; seed++) {
    const reply = await client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: 'required', max_tokens: 200, seed, temperature: 1.5 });
    const calls = reply.choices[0]!.message.tool_calls!;
    for (const call of calls) assertValidCall(call, ['get_weather', 'search_web']);
    assert.equal(new Set(calls.map((c) => c.id)).size, calls.length);
    most = Math.max(most, calls.length);
  }
  assert.ok(most >= 2, 'some seed makes more than one call');
  for (let seed = 0; seed < 6; seed++) {
    const reply = await client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 200, seed, temperature: 1.5 });
    assert.equal(reply.choices[0]!.message.tool_calls!.length, 1);
  }
});

test('streamed tool calls arrive as per-index deltas that reassemble into the non-streamed calls', async () => {
  for (let seed = 0; seed < 6; seed++) {
    const request = { model: 'tiny', messages: question, tools, tool_choice: 'required', max_tokens: 200, seed, temperature: 1.5 } as const;
    const whole = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const calls: { id: string; name: string; arguments: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const choice = chunk.choices[0]!;
      if (choice.finish_reason) finish = choice.finish_reason;
      for (const delta of choice.delta.tool_calls ?? []) {
        if (delta.id !== undefined) {
          assert.equal(delta.index, calls.length, 'a new call takes the next index');
          assert.equal(delta.type, 'function');
          calls.push({ id: delta.id, name: delta.function!.name!, arguments: delta.function!.arguments ?? '' });
        } else {
          assert.equal(delta.function?.name, undefined, 'the name comes once');
          calls[delta.index]!.arguments += delta.function!.arguments!;
        }
      }
    }
    assert.equal(finish, 'tool_calls');
    const expected = whole.choices[0]!.message.tool_calls!.map((c) => (c.type === 'function' ? [c.function.name, c.function.arguments] : []));
    assert.deepEqual(calls.map((c) => [c.name, c.arguments]), expected);
  }
});

test('a tool-result round trip: the call and its result go back in, and the model answers', async () => {
  const first = await client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: 'required', parallel_tool_calls: false, max_tokens: 120, seed: 5 });
  const call = first.choices[0]!.message.tool_calls![0]!;
  const reply = await client.chat.completions.create({
    model: 'tiny',
    tools,
    tool_choice: 'none',
    max_tokens: 16,
    messages: [...question, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '{"temperature": 18}' }],
  });
  assert.equal(reply.choices[0]!.message.tool_calls, undefined);
  assert.ok(reply.usage!.prompt_tokens > first.usage!.prompt_tokens, 'the call and its result are in the prompt');
});

test('tool_choice auto: whatever the model writes, any call it makes is valid', async () => {
  for (let seed = 0; seed < 4; seed++) {
    const reply = await client.chat.completions.create({ model: 'tiny', messages: question, tools, max_tokens: 60, seed, temperature: 1 });
    const choice = reply.choices[0]!;
    for (const call of choice.message.tool_calls ?? []) assertValidCall(call, ['get_weather', 'search_web']);
    assert.equal(choice.finish_reason === 'tool_calls', (choice.message.tool_calls ?? []).length > 0);
  }
});

test('response_format json_schema: the content parses and validates', async () => {
  const schema = { type: 'object', properties: { answer: { type: 'string', maxLength: 10 }, score: { type: 'number' } }, required: ['answer', 'score'], additionalProperties: false };
  for (let seed = 0; seed < 3; seed++) {
    const reply = await client.chat.completions.create({
      model: 'tiny', messages: question, max_tokens: 80, seed, temperature: 1,
      response_format: { type: 'json_schema', json_schema: { name: 'verdict', schema, strict: true } },
    });
    const text = reply.choices[0]!.message.content!;
    assert.deepEqual(validateJson(schema as unknown as JsonSchema, JSON.parse(text)), [], text);
    assert.equal(reply.choices[0]!.finish_reason, 'stop');
  }
});

/** Sends a raw body and returns the status and the API error object. */
async function rawPost(body: string, headers: Record<string, string> = {}): Promise<{ status: number; error: { message: string; param: string | null; code: string | null; type: string } }> {
  const res = await fetch(`${base}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const parsed = (await res.json()) as { error: { message: string; param: string | null; code: string | null; type: string } };
  return { status: res.status, error: parsed.error };
}

async function expectApiError(promise: Promise<unknown>, status: number, param: string | null): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, status, err.message);
    assert.equal(err.param, param, err.message);
    return err;
  }
  assert.fail('expected an API error');
}

test('bad input gets the API error object naming the field, and the server keeps serving', async () => {
  const malformed = await rawPost('{"model": "tiny", "messages": [');
  assert.equal(malformed.status, 400);
  assert.equal(malformed.error.param, 'body');
  assert.equal(malformed.error.type, 'invalid_request_error');

  const big = await rawPost(JSON.stringify({ model: 'tiny', messages: [{ role: 'user', content: 'x'.repeat(70 * 1024) }] }));
  assert.equal(big.status, 413);
  assert.equal(big.error.code, 'body_too_large');

  await expectApiError(client.chat.completions.create({ model: 'gpt-9', messages: question }), 404, 'model');
  await expectApiError(client.chat.completions.create({ model: 'tiny', messages: [] }), 400, 'messages');
  await expectApiError(
    client.chat.completions.create({ model: 'tiny', messages: question, tools: [{ type: 'function', function: { name: 'bad', parameters: { type: 'object', properties: { a: { type: 'frobnicate' } } } } }] }),
    400,
    'tools[0].function.parameters',
  );
  await expectApiError(client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: { type: 'function', function: { name: 'book_flight' } } }), 400, 'tool_choice');
  const many = Array.from({ length: 5 }, (_, i) => ({ type: 'function' as const, function: { name: `tool_${i}` } }));
  const tooMany = await expectApiError(client.chat.completions.create({ model: 'tiny', messages: question, tools: many }), 400, 'tools');
  assert.equal(tooMany.code, 'too_many_tools');
  const long = await expectApiError(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: 'weather '.repeat(1200) }] }), 400, 'messages');
  assert.equal(long.code, 'context_length_exceeded');
  await expectApiError(client.chat.completions.create({ model: 'tiny', messages: question, temperature: 7 }), 400, 'temperature');
  await expectApiError(client.chat.completions.create({ model: 'tiny', messages: question, tools, tool_choice: 'required', max_tokens: 3 }), 400, 'max_tokens');
  await expectApiError(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'tool', content: 'x' } as never] }), 400, 'messages[0].tool_call_id');

  const ok = await client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 4 });
  assert.equal(ok.choices.length, 1);
});

test('--api-key: requests without the bearer token get 401', async () => {
  const guarded = await start({ apiKey: 'sesame' });
  const models = await guarded.client.models.list();
  assert.equal(models.data.length, 1);
  const wrong = new OpenAI({ baseURL: guarded.base, apiKey: 'wrong', maxRetries: 0 });
  await expectApiError(wrong.models.list(), 401, null);
});

test('a full queue answers 429, and a client that disconnects frees its slot', async () => {
  const busy = await start({ slots: 1, maxQueue: 0 });
  const controller = new AbortController();
  // A string of 600 characters cannot end sooner, so the request holds its slot for many steps.
  const format = { type: 'json_schema' as const, json_schema: { name: 'long', schema: { type: 'string', minLength: 600, maxLength: 600 } } };
  const long = await busy.client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 900, response_format: format, stream: true }, { signal: controller.signal });
  const iterator = long[Symbol.asyncIterator]();
  await iterator.next(); // the first chunk: the request holds the only slot
  const refused = await expectApiError(busy.client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 4 }), 429, null);
  assert.equal(refused.code, 'queue_full');
  controller.abort();
  await iterator.next().catch(() => undefined);
  let served = false;
  for (let attempt = 0; attempt < 50 && !served; attempt++) {
    try {
      await busy.client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 4 });
      served = true;
    } catch (err) {
      assert.ok(err instanceof OpenAI.APIError && err.status === 429);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  assert.ok(served, 'the slot came back after the disconnect');
});

test('the time budget ends a turn with finish_reason length', async () => {
  const hurried = await start({ requestTimeoutMs: 0 });
  const reply = await hurried.client.chat.completions.create({ model: 'tiny', messages: question, max_tokens: 900 });
  assert.equal(reply.choices[0]!.finish_reason, 'length');
  assert.equal(reply.usage!.completion_tokens, 0);
});
