import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { endOfSequenceIds, generateText, streamText } from './text.js';
import { generateAsync } from './generate.js';
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import { DecoderModel } from '../models/decoder.js';
import type { DecoderConfig } from '../models/config.js';
import { loadModel } from '../models/load.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const present = existsSync(stories + 'reference.json');

test('generateText encodes the prompt with BOS and returns the greedy continuation as text', async (t) => {
  if (!present) return t.skip('../shared absent');
  const reference = (JSON.parse(readFileSync(stories + 'reference.json', 'utf8')) as { cases: { prompt: string; text: string }[] }).cases[1]!;
  const loaded = await loadModel(stories + 'stories260K.bin');
  const result = generateText(loaded, reference.prompt, { maxTokens: 20 });
  assert.equal(result.tokens.length, 20);
  assert.ok(reference.text.startsWith(reference.prompt + result.text), JSON.stringify(result.text));
  assert.ok(result.text.length > 40);
});

test('generation stops on the config eos ids and the tokenizer eos alike', () => {
  const tokenizer = { eosId: 2 } as Parameters<typeof endOfSequenceIds>[0]['tokenizer'];
  const model = { createSession: () => { throw new Error('not used'); } };
  assert.deepEqual(endOfSequenceIds({ model, tokenizer, config: { eosTokenIds: [7, 2] } }), [7, 2]);
  assert.deepEqual(endOfSequenceIds({ model, tokenizer, config: { eosTokenIds: [] } }), [2]);
});

/** A random model over a byte-level BPE learned from a few sentences: greedy output is arbitrary but fixed. */
function tinyTextModel() {
  const tokenizer = trainByteLevelBpe(['the quick brown fox jumps over the lazy dog', 'a café in zürich serves crème brûlée'], { vocabSize: 300, specialTokens: ['<|end|>'], eosToken: '<|end|>' });
  const config: DecoderConfig = {
    family: 'llama', vocabSize: tokenizer.vocabSize, dim: 16, layers: 1, heads: 2, kvHeads: 1, headDim: 8, hiddenDim: 32, normEps: 1e-5,
    ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: true,
    maxPositions: 256, bosTokenId: null, eosTokenIds: [],
  };
  return { model: DecoderModel.random(config, 3), tokenizer, config };
}

test('streamText yields the greedy continuation in chunks that join to generateText\'s text, and returns the result', async () => {
  const loaded = tinyTextModel();
  const whole = generateText(loaded, 'the quick', { maxTokens: 30 });
  const chunks: string[] = [];
  const stream = streamText(loaded, 'the quick', { maxTokens: 30 });
  let next = await stream.next();
  while (!next.done) {
    chunks.push(next.value);
    next = await stream.next();
  }
  assert.ok(chunks.length > 1);
  assert.equal(chunks.join(''), whole.text);
  assert.deepEqual(next.value.tokens, whole.tokens);
});

test('an aborted signal ends streaming and async generation at the next token, with the signal\'s reason', async () => {
  const loaded = tinyTextModel();
  const controller = new AbortController();
  let tokens = 0;
  const received: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const chunk of streamText(loaded, 'a café', { maxTokens: 200, onToken: () => void tokens++, signal: controller.signal })) {
        received.push(chunk);
        if (received.length === 2) controller.abort();
      }
    })(),
    (err: unknown) => err instanceof DOMException && err.name === 'AbortError',
  );
  assert.ok(tokens < 10, `${tokens} tokens generated after the abort`);
  const already = AbortSignal.abort();
  await assert.rejects(generateAsync(loaded.model, [[5, 6]], { signal: already }), (err: unknown) => err instanceof DOMException && err.name === 'AbortError');
});

test('leaving a stream early stops its generation; async generation lets timers run between tokens', async () => {
  const loaded = tinyTextModel();
  let tokens = 0;
  for await (const chunk of streamText(loaded, 'the lazy', { maxTokens: 200, onToken: () => void tokens++ })) {
    assert.ok(chunk.length > 0);
    break;
  }
  const atBreak = tokens;
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(tokens <= atBreak + 1, `generation went on after the loop ended: ${atBreak} -> ${tokens}`);

  let ticks = 0;
  const timer = setInterval(() => void ticks++, 0);
  const [result] = await generateAsync(loaded.model, [[5, 6, 7]], { maxTokens: 60 });
  clearInterval(timer);
  assert.equal(result!.tokens.length, 60);
  assert.ok(ticks > 0, 'no timer ran during generation');
});
