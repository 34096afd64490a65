import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { endOfSequenceIds, generateText } from './text.js';
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
