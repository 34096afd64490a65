/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai-compatible`) against the server: text, streamed text, a required
 * tool call the SDK parses into a typed input.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, jsonSchema, streamText, tool } from 'ai';
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

test('AI SDK: generateText and streamText get the same text for the same seed', async () => {
  const whole = await generateText({ model, prompt: 'Say something.', maxOutputTokens: 12, seed: 4, maxRetries: 0 });
  const stream = streamText({ model, prompt: 'Say something.', maxOutputTokens: 12, seed: 4, maxRetries: 0 });
  let text = '';
  for await (const piece of stream.textStream) text += piece;
  assert.equal(text, whole.text);
  assert.ok(['stop', 'length'].includes(whole.finishReason));
});

test('AI SDK: a required tool call comes back parsed, naming the tool, its input valid', async () => {
  const result = await generateText({
    model,
    prompt: 'What is the weather in Paris?',
    tools: { get_weather: tool({ description: 'Current weather', inputSchema: jsonSchema<{ city: string }>(weather) }) },
    toolChoice: 'required',
    maxOutputTokens: 80,
    maxRetries: 0,
  });
  assert.equal(result.finishReason, 'tool-calls');
  assert.ok(result.toolCalls.length >= 1);
  for (const call of result.toolCalls) {
    assert.equal(call.toolName, 'get_weather');
    assert.deepEqual(validateJson(weather as unknown as JsonSchema, call.input), []);
  }
});
