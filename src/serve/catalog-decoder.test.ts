/**
 * The catalog decoder driven by hand-made logits (the model prefers whatever the test says), so every path of a
 * request without tools is checked exactly: under auto the first token decides between a call and text, a call's
 * name can only walk the catalog's trie, the arguments follow the tool's schema from a fresh prompt, and a text
 * answer honours stop strings and the token budget.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { demoCatalog } from '../data/demo/catalog.js';
import { tinyToolGen } from '../methods/toolgen/testing/tiny-toolgen.js';
import { copyCandidates } from '../generate/constraints/copy-values.js';
import { validateJson } from '../tools/validate.js';
import { CatalogDecoder } from './catalog-decoder.js';
import type { Feed } from './chat-decoder.js';
import { renderPrompt } from './prompt.js';
import { DEFAULT_REQUEST_LIMITS, parseChatRequest } from './request.js';
import { serveCatalog, type ServedCatalog } from './served-catalog.js';
import { serveModel } from './served-model.js';

const tools = demoCatalog().filter((t) => ['circle_area', 'reverse_text', 'is_leap_year'].includes(t.id));
const tg = await tinyToolGen(tools, { seed: 4, texts: ['what is the area of a circle', 'stop here please'] });
const model = serveModel('toolgen', { model: tg.model, tokenizer: tg.tokenizer, config: tg.model.config });
const catalog = serveCatalog(model, tg.index, tools, DEFAULT_REQUEST_LIMITS);
const vocab = tg.tokenizer.vocabSize;
const toolToken = (id: string): number => tg.tokenizer.tokenToId(tg.index.toolToText(id))!;

interface Run {
  readonly decoder: CatalogDecoder;
  readonly feeds: Feed[];
  readonly content: string;
  readonly calls: { name: string; args: string }[];
}

/** Drives a decoder whose model "writes" `written` and then prefers the end of its turn. */
function run(body: Record<string, unknown>, written: readonly number[], maxTokens = 200, served: ServedCatalog = catalog): Run {
  const request = parseChatRequest({ model: 'toolgen', messages: [{ role: 'user', content: 'what is the area of a circle' }], temperature: 0, ...body }, DEFAULT_REQUEST_LIMITS, new Set(served.byApiName.keys()));
  const calls: { name: string; args: string }[] = [];
  let content = '';
  const decoder = new CatalogDecoder(model, served, request, renderPrompt(tg.tokenizer, request.messages, []), maxTokens, {
    content: (text) => (content += text),
    toolCallStart: (_i, _id, name) => calls.push({ name, args: '' }),
    toolCallArguments: (i, fragment) => (calls[i]!.args += fragment),
  });
  const feeds = [decoder.start()];
  for (let step = 0; step < 400; step++) {
    const logits = new Float32Array(vocab);
    logits[catalog.trie.terminator] = 1;
    logits[written[step] ?? catalog.trie.terminator] = 2;
    const feed = decoder.step(logits);
    if (feed === null) break;
    feeds.push(feed);
  }
  return { decoder, feeds, content, calls };
}

test('auto: a first token that is a tool token makes the turn a call, arguments under the schema from the argument prompt', () => {
  const { decoder, feeds, calls, content } = run({}, [toolToken('circle_area')]);
  assert.equal(decoder.finish, 'tool_calls');
  assert.equal(content, '');
  assert.deepEqual(calls.map((c) => c.name), ['circle_area']);
  assert.deepEqual(validateJson(catalog.byId.get('circle_area')!.tool.parameters, JSON.parse(calls[0]!.args)), []);
  // After the tool token the slot is refilled with the argument prompt, which names the tool's text.
  const refill = feeds.find((f) => f.reset)!;
  assert.ok(tg.tokenizer.decode([...refill.tokens]).includes('Please give the input. Here is the documentation'));
  // Completion tokens: the tool token, the end of its text, and one token per argument token (each at least a byte).
  assert.ok(decoder.used > 2 && decoder.used <= 2 + Buffer.byteLength(calls[0]!.args), `${decoder.used} tokens`);
});

test('auto: any other first token starts a text answer, which stops at a stop string or the budget', () => {
  const words = tg.tokenizer.encode('stop here please');
  const plain = run({}, words);
  assert.equal(plain.content, 'stop here please');
  assert.deepEqual(plain.calls, []);
  assert.equal(plain.decoder.finish, 'stop');

  const stopped = run({ stop: ['here'] }, words);
  assert.equal(stopped.content, 'stop ');
  assert.equal(stopped.decoder.finish, 'stop');

  const cut = run({ max_tokens: 2 }, words, 2);
  assert.equal(cut.decoder.finish, 'length');
  assert.equal(cut.content, tg.tokenizer.decode(words.slice(0, 2)));
});

test('auto: with too few tokens for any call, the tool tokens are masked and the turn is text', () => {
  const { decoder, calls } = run({ max_tokens: 3 }, [toolToken('circle_area')], 3);
  assert.deepEqual(calls, []);
  assert.notEqual(decoder.finish, 'tool_calls');
});

test('required walks the trie from the first token; a named tool skips the choice', () => {
  // The model prefers a plain word; required masks everything but the catalog's tools.
  const word = tg.tokenizer.encode('stop')[0]!;
  const required = run({ tool_choice: 'required' }, [word]);
  assert.equal(required.decoder.finish, 'tool_calls');
  assert.ok(catalog.byApiName.has(required.calls[0]!.name));

  const named = run({ tool_choice: { type: 'function', function: { name: 'is_leap_year' } } }, [toolToken('circle_area')]);
  assert.deepEqual(named.calls.map((c) => c.name), ['is_leap_year']);
  assert.equal(named.feeds[0]!.reset, true);
  assert.deepEqual(validateJson(catalog.byId.get('is_leap_year')!.tool.parameters, JSON.parse(named.calls[0]!.args)), []);
  assert.ok(named.decoder.minimumTokens() >= 1);
});

test('argument values are copied from the request: a free number or string takes a value the user wrote (unless copying is off)', () => {
  const ask = (content: string, tool: string, served = catalog): Record<string, unknown> => {
    const { calls } = run({ messages: [{ role: 'user', content }], tool_choice: { type: 'function', function: { name: tool } } }, [], 200, served);
    return JSON.parse(calls[0]!.args) as Record<string, unknown>;
  };
  // The hand-made model prefers to end at once, so without copying it writes the schema's smallest value.
  assert.deepEqual(ask('the area of a circle of radius 7.5 please', 'circle_area'), { radius: 7.5 });
  assert.deepEqual(ask('is 2024 a leap year, or 99999?', 'is_leap_year'), { year: 2024 }, 'only values the schema allows are offered');
  const reversed = ask('reverse the text "hello world"', 'reverse_text');
  assert.ok(copyCandidates(['reverse the text "hello world"']).strings.includes(reversed.text as string), `${String(reversed.text)} is a span of the request`);
  const free = serveCatalog(model, tg.index, tools, DEFAULT_REQUEST_LIMITS, { copyValues: false });
  assert.notEqual(ask('the area of a circle of radius 7.5 please', 'circle_area', free).radius, 7.5);
  assert.deepEqual(ask('what is the area of a circle', 'circle_area'), ask('what is the area of a circle', 'circle_area', free), 'no number to copy: the schema as it is');
});

test('with a lexical prior, once the model calls a tool the name follows the documents: at weight 1, the tool BM25 finds for the request', () => {
  const lexical = serveCatalog(model, tg.index, tools, DEFAULT_REQUEST_LIMITS, { lexicalPrior: 1 });
  // The model "writes" the leap-year tool; the request asks for a circle's area, and BM25 names circle_area.
  for (const choice of [{}, { tool_choice: 'required' }]) {
    const { decoder, calls } = run(choice, [toolToken('is_leap_year')], 200, lexical);
    assert.equal(decoder.finish, 'tool_calls');
    assert.deepEqual(calls.map((c) => c.name), ['circle_area'], JSON.stringify(choice));
  }
  // A text answer stays the model's choice: the prior only decides which tool, not whether to call one.
  const words = tg.tokenizer.encode('stop here please');
  assert.equal(run({}, words, 200, lexical).calls.length, 0);
  // Without the prior the model's own tool is called.
  assert.deepEqual(run({}, [toolToken('is_leap_year')]).calls.map((c) => c.name), ['is_leap_year']);
});
