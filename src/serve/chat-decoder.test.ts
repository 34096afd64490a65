/**
 * The decoder's state machine driven by hand-made logits (the model's preference is whatever the test says), so
 * each path of tool_choice auto is checked exactly: the model writing the call marker itself, with and without
 * text running on past the marker in the same token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatDecoder, type Feed } from './chat-decoder.js';
import { parseChatRequest } from './request.js';
import { renderPrompt } from './prompt.js';
import { tinyServedModel } from './testing-model.js';

const model = tinyServedModel();
const vocab = model.tokenizer.vocabSize;
const tools = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string', enum: ['Paris'] } }, required: ['city'] } } }];
const request = parseChatRequest({ model: 'tiny', messages: [{ role: 'user', content: 'hi' }], tools, temperature: 0 });
const prompt = renderPrompt(model.tokenizer, request.messages, request.tools.map((t) => t.spec));

/** Logits that prefer `token`, then the end of turn. */
function prefer(token: number): Float32Array {
  const logits = new Float32Array(vocab);
  logits[model.endId] = 1;
  logits[token] = 2;
  return logits;
}

function run(written: readonly number[]): { decoder: ChatDecoder; feeds: Feed[]; content: string; calls: { name: string; args: string }[] } {
  const calls: { name: string; args: string }[] = [];
  let content = '';
  const decoder = new ChatDecoder(model, request, prompt, 200, {
    content: (text) => (content += text),
    toolCallStart: (_i, _id, name) => calls.push({ name, args: '' }),
    toolCallArguments: (i, fragment) => (calls[i]!.args += fragment),
  });
  const feeds = [decoder.start()];
  // The model "writes" `written`; after that it prefers the end of turn, and the masks decide the rest.
  for (let step = 0; step < 300; step++) {
    const feed = decoder.step(prefer(written[step] ?? model.endId));
    if (feed === null) break;
    feeds.push(feed);
  }
  return { decoder, feeds, content, calls };
}

test('auto: plain text with no marker ends at the end of turn as content', () => {
  const written = model.tokenizer.encode('Paris is sunny');
  const { decoder, content, calls } = run(written);
  assert.equal(content, 'Paris is sunny');
  assert.deepEqual(calls, []);
  assert.equal(decoder.finish, 'stop');
});

test('auto: once the model writes the marker, the call is constrained to an offered tool and its schema', () => {
  const written = model.tokenizer.encode('Let me check. <tool_call>');
  const { decoder, content, calls } = run(written);
  assert.equal(content, 'Let me check. ');
  assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.args)]), [['get_weather', { city: 'Paris' }]]);
  assert.equal(decoder.finish, 'tool_calls');
});

test('auto: a token that runs on past the marker re-reads the turn up to the marker (the slot is reset)', () => {
  // A token that closes the marker and carries on: '>' followed by more text.
  const runOn = Array.from({ length: vocab }, (_, id) => id).find((id) => /^>.+/s.test(model.tokenizer.decode([id])));
  assert.ok(runOn !== undefined, 'the vocabulary has a token that starts with > and continues');
  const written = [...model.tokenizer.encode('<tool_call'), runOn];
  const { feeds, content, calls } = run(written);
  const reset = feeds.find((f) => f.reset);
  assert.ok(reset, 'one feed resets the slot');
  assert.deepEqual(reset.tokens.slice(0, prompt.length), prompt);
  assert.equal(content, '');
  assert.deepEqual(calls.map((c) => [c.name, JSON.parse(c.args)]), [['get_weather', { city: 'Paris' }]]);
});
