/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`) against the server, as issue 18 lists for both clients:
 * text and streamed text, tool calls (single, parallel, named, required) parsed into typed inputs, a streamed call
 * whose argument deltas reassemble into the non-streamed one, a full tool-result round trip through the SDK's own
 * tool execution, and a JSON-schema response read as an object. The model has random weights, so every assertion is
 * about the contract, never about what the model says.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, Output, streamText, tool, type ModelMessage } from 'ai';
import { validateJson } from '../tools/validate.js';
import type { JsonSchema } from '../tools/types.js';
import { createToolkenServer } from './server.js';
import { tinyServedModel } from './testing-model.js';

const server = createToolkenServer(tinyServedModel('tiny'));
const { port } = await server.listen(0, '127.0.0.1');
after(() => server.close());
const provider = createOpenAICompatible({ name: 'toolken', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', supportsStructuredOutputs: true });
const model = provider('tiny');

const weather = { type: 'object', properties: { city: { type: 'string', maxLength: 12 } }, required: ['city'], additionalProperties: false } as const;
const search = { type: 'object', properties: { query: { type: 'string', maxLength: 16 } }, required: ['query'], additionalProperties: false } as const;
const schemas: Record<string, JsonSchema> = { get_weather: weather as unknown as JsonSchema, search_web: search as unknown as JsonSchema };
const tools = {
  get_weather: tool({ description: 'Current weather', inputSchema: jsonSchema<{ city: string }>(weather) }),
  search_web: tool({ description: 'Search the web', inputSchema: jsonSchema<{ query: string }>(search) }),
};
const prompt = 'What is the weather in Paris?';

/** Every call names one of `names` and its input validates against that tool's schema. */
function assertValidCalls(calls: readonly { toolName: string; input: unknown }[], names: readonly string[]): void {
  assert.ok(calls.length >= 1, 'at least one call');
  for (const call of calls) {
    assert.ok(names.includes(call.toolName), `${call.toolName} is one of ${names.join(', ')}`);
    assert.deepEqual(validateJson(schemas[call.toolName]!, call.input), [], JSON.stringify(call.input));
  }
}

test('AI SDK: generateText and streamText get the same text for the same seed', async () => {
  const whole = await generateText({ model, prompt: 'Say something.', maxOutputTokens: 12, seed: 4, maxRetries: 0 });
  const stream = streamText({ model, prompt: 'Say something.', maxOutputTokens: 12, seed: 4, maxRetries: 0 });
  let text = '';
  for await (const piece of stream.textStream) text += piece;
  assert.equal(text, whole.text);
  assert.ok(['stop', 'length'].includes(whole.finishReason));
});

test('AI SDK: a required tool call comes back parsed, naming the tool, its input valid', async () => {
  const result = await generateText({ model, prompt, tools: { get_weather: tools.get_weather }, toolChoice: 'required', maxOutputTokens: 80, maxRetries: 0 });
  assert.equal(result.finishReason, 'tool-calls');
  assertValidCalls(result.toolCalls, ['get_weather']);
});

test('AI SDK: a named tool is the one called; required over two tools makes parallel calls for some seed', async () => {
  for (let seed = 0; seed < 3; seed++) {
    const named = await generateText({ model, prompt, tools, toolChoice: { type: 'tool', toolName: 'search_web' }, maxOutputTokens: 120, seed, maxRetries: 0 });
    assert.equal(named.finishReason, 'tool-calls');
    assertValidCalls(named.toolCalls, ['search_web']);
  }
  let most = 0;
  for (let seed = 0; seed < 24 && most < 2; seed++) {
    const result = await generateText({ model, prompt, tools, toolChoice: 'required', maxOutputTokens: 200, seed, temperature: 1.5, maxRetries: 0 });
    assertValidCalls(result.toolCalls, ['get_weather', 'search_web']);
    assert.equal(new Set(result.toolCalls.map((c) => c.toolCallId)).size, result.toolCalls.length, 'each call has its own id');
    most = Math.max(most, result.toolCalls.length);
  }
  assert.ok(most >= 2, 'some seed makes more than one call in one turn');
});

test('AI SDK: a streamed call arrives as argument deltas that reassemble into the non-streamed call', async () => {
  for (let seed = 0; seed < 3; seed++) {
    const request = { model, prompt, tools, toolChoice: 'required', maxOutputTokens: 200, seed, temperature: 1.5, maxRetries: 0 } as const;
    const whole = await generateText(request);
    const stream = streamText(request);
    const deltas = new Map<string, string>();
    for await (const part of stream.fullStream) {
      if (part.type === 'tool-input-delta') deltas.set(part.id, (deltas.get(part.id) ?? '') + part.delta);
      if (part.type === 'error') assert.fail(String(part.error));
    }
    const streamed = await stream.toolCalls;
    assert.deepEqual(streamed.map((c) => [c.toolName, c.input]), whole.toolCalls.map((c) => [c.toolName, c.input]));
    assert.equal(deltas.size, streamed.length, 'each call streamed its arguments');
    for (const call of streamed) assert.deepEqual(JSON.parse(deltas.get(call.toolCallId)!), call.input);
    assert.equal(await stream.finishReason, 'tool-calls');
  }
});

test('AI SDK: a tool-result round trip: the SDK runs the tool, sends the result back, and the model answers', async () => {
  const executed: unknown[] = [];
  const withExecute = {
    get_weather: tool({
      description: 'Current weather',
      inputSchema: jsonSchema<{ city: string }>(weather),
      execute: async (input) => {
        executed.push(input);
        return { temperature: 18 };
      },
    }),
  };
  const first = await generateText({ model, prompt, tools: withExecute, toolChoice: 'required', maxOutputTokens: 80, seed: 5, maxRetries: 0 });
  assert.equal(executed.length, first.toolCalls.length);
  assert.deepEqual(first.toolResults.map((r) => r.output), first.toolCalls.map(() => ({ temperature: 18 })));
  const messages: ModelMessage[] = [{ role: 'user', content: prompt }, ...first.response.messages];
  assert.deepEqual(messages.map((m) => m.role), ['user', 'assistant', 'tool']);
  const second = await generateText({ model, messages, tools: withExecute, toolChoice: 'none', maxOutputTokens: 16, maxRetries: 0 });
  assert.equal(second.toolCalls.length, 0);
  assert.ok(['stop', 'length'].includes(second.finishReason));
  assert.ok(second.usage.inputTokens! > first.usage.inputTokens!, 'the call and its result are in the prompt');
});

test('AI SDK: a JSON-schema response (Output.object) parses and validates', async () => {
  const verdict = { type: 'object', properties: { answer: { type: 'string', maxLength: 10 }, score: { type: 'number' } }, required: ['answer', 'score'], additionalProperties: false } as const;
  for (let seed = 0; seed < 3; seed++) {
    const result = await generateText({ model, prompt, output: Output.object({ schema: jsonSchema<{ answer: string; score: number }>(verdict) }), maxOutputTokens: 80, seed, maxRetries: 0 });
    assert.deepEqual(validateJson(verdict as unknown as JsonSchema, result.output), [], result.text);
    assert.equal(result.finishReason, 'stop');
  }
});
