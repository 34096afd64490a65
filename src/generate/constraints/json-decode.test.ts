import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonSchema } from '../../tools/types.js';
import { validateJson } from '../../tools/validate.js';
import { seededRandom } from '../../util/random.js';
import { ToyVocabulary } from '../../indexing/test-utils/toy-vocabulary.js';
import { HashDecoder } from './test-utils/hash-decoder.js';
import { JsonAutomaton, type JsonState } from './json-automaton.js';
import { decodeJson, jsonLogitsProcessor } from './json-decode.js';
import { JSON_PIECES, randomSchema } from './test-utils/random-schemas.js';
import { JsonTokenMasker } from './json-token-mask.js';
import { VocabularyTrie } from './vocabulary-trie.js';

const vocab = new ToyVocabulary(JSON_PIECES);
const trie = new VocabularyTrie(vocab);
const LIMITS = { maxStringLength: 12, maxArrayItems: 4 };

/** The mask computed one token at a time, straight from the automaton: what the trie walk must reproduce. */
function bruteForceMask(masker: JsonTokenMasker, state: JsonState | null, remaining: number): Uint8Array {
  const mask = new Uint8Array(vocab.vocabSize);
  for (let id = 0; id < vocab.vocabSize; id++) {
    const next = masker.advanceToken(state, id);
    if (next !== undefined && masker.automaton.minBytesToComplete(next) <= remaining - 2) mask[id] = 1;
  }
  mask[masker.endId] = masker.automaton.isComplete(state) ? 1 : 0;
  return mask;
}

/** A random schema drawn with `random`, its automaton under LIMITS, and the automaton's mask over the toy vocabulary. */
function randomMasker(random: () => number): { schema: JsonSchema; automaton: JsonAutomaton; masker: JsonTokenMasker } {
  const schema = randomSchema(random);
  const automaton = new JsonAutomaton(schema, LIMITS);
  return { schema, automaton, masker: new JsonTokenMasker(automaton, trie, vocab.eosId) };
}

test('property: constrained decoding of random schemas under random models always gives valid JSON within budget', () => {
  const random = seededRandom(99);
  for (let trial = 0; trial < 40; trial++) {
    const { schema, automaton, masker } = randomMasker(random);
    const shortest = automaton.minBytesToComplete(automaton.initial());
    // From the tightest possible budget to a roomy one.
    const maxTokens = shortest + 1 + Math.floor(random() * (trial % 3 === 0 ? 2 : 120));
    const model = new HashDecoder(vocab.vocabSize, trial, 1 + random() * 6);
    const result = decodeJson(model, [1, 2, 3], masker, maxTokens);
    const context = `trial ${trial}: ${JSON.stringify(schema)} -> ${result.text}`;
    assert.deepEqual(validateJson(schema, result.value), [], context);
    assert.ok(result.tokens.length + 1 <= maxTokens, context);
    assert.equal(model.liveStates, 0);
  }
});

test('the vocabulary-trie mask equals the token-by-token mask, with and without a budget', () => {
  const random = seededRandom(5);
  for (let trial = 0; trial < 12; trial++) {
    const { automaton, masker } = randomMasker(random);
    const model = new HashDecoder(vocab.vocabSize, 100 + trial);
    const { tokens } = decodeJson(model, [7], masker, automaton.minBytesToComplete(automaton.initial()) + 60);
    let state: JsonState | null = automaton.initial();
    for (const [i, id] of [...tokens, -1].entries()) {
      const remaining = i % 2 === 0 ? Infinity : 4 + Math.floor(random() * 20);
      assert.deepEqual(masker.allowed(state, remaining), bruteForceMask(masker, state, remaining), `trial ${trial}, step ${i}`);
      if (id !== -1) state = masker.advanceToken(state, id)!;
    }
  }
});

test('generation always finishes: at the tightest budget the output is a shortest valid document', () => {
  const schema: JsonSchema = {
    type: 'object',
    properties: { query: { type: 'string', minLength: 2 }, limit: { type: 'integer', minimum: 10, maximum: 20 } },
    required: ['query', 'limit'],
  };
  const automaton = new JsonAutomaton(schema);
  const masker = new JsonTokenMasker(automaton, trie, vocab.eosId);
  const shortest = automaton.minBytesToComplete(automaton.initial());
  assert.equal(shortest, '{"query":"..","limit":10}'.length);
  for (let seed = 0; seed < 5; seed++) {
    const result = decodeJson(new HashDecoder(vocab.vocabSize, seed), [], masker, shortest + 1);
    assert.deepEqual(validateJson(schema, result.value), []);
    assert.ok(result.tokens.length <= shortest, result.text);
  }
  assert.throws(() => decodeJson(new HashDecoder(vocab.vocabSize, 1), [], masker, shortest), /maxTokens 25 is too small; the shortest valid arguments need 25 tokens plus the end token/);
});

test('the logits processor masks disallowed ids to -Infinity and refuses a token that breaks the schema', () => {
  const automaton = new JsonAutomaton({ type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] });
  const processor = jsonLogitsProcessor(new JsonTokenMasker(automaton, trie, vocab.eosId), 32);
  const logits = new Float32Array(vocab.vocabSize).fill(1);
  processor(logits, []);
  const allowed = [...logits.keys()].filter((id) => logits[id] === 1).map((id) => new TextDecoder().decode(vocab.tokenBytes(id)));
  assert.deepEqual(allowed.sort(), ['{', '{"'].sort());
  const brace = vocab.encode('{"ok":')!;
  const after = new Float32Array(vocab.vocabSize).fill(0);
  processor(after, brace);
  assert.equal(after[vocab.encode('true')[0]!], 0);
  assert.equal(after[vocab.encode('"')[0]!], -Infinity);
  assert.throws(() => processor(new Float32Array(vocab.vocabSize), [...brace, vocab.encode('"')[0]!]), /token \d+ at position \d+ breaks the schema/);
});

test('the vocabulary trie holds every non-empty token once, sorted, with one-byte tokens indexed', () => {
  const small = { vocabSize: 5, tokenBytes: (id: number) => [Uint8Array.of(0x62), Uint8Array.of(0x61, 0x62), Uint8Array.of(0x61), new Uint8Array(0), Uint8Array.of(0x61, 0x62)][id]! };
  const t = new VocabularyTrie(small);
  assert.equal(t.nodeCount, 4); // root, a, ab, b
  const a = t.firstChild[0]!;
  assert.equal(t.byte[a], 0x61);
  assert.equal(t.byte[t.nextSibling[a]!], 0x62);
  const ab = t.firstChild[a]!;
  assert.deepEqual([...t.tokenIds.subarray(t.tokenStart[ab]!, t.tokenStart[ab]! + t.tokenCount[ab]!)].sort(), [1, 4]);
  assert.equal(t.byteToken[0x61], 2);
  assert.equal(t.maxTokenBytes, 2);
  assert.equal(t.coversAllBytes(), false);
  assert.equal(trie.coversAllBytes(), true);
});
