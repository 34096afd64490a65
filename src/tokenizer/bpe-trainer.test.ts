import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Tokenizer as HfLibraryTokenizer } from '@huggingface/tokenizers';
import { trainByteLevelBpe } from './bpe-trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-bpe-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A deterministic corpus: sentences drawn from a small vocabulary with a fixed-seed generator. */
function corpus(sentences: number): string[] {
  const words = ['the', 'weather', 'forecast', 'for', 'Paris', 'is', 'sunny', 'rain', 'tomorrow', 'calculator', 'add', '42', '3.14', 'Zürich', 'café', '東京', 'get_forecast(', ')', '{"city":', '"Berlin"}', 'and', 'then'];
  let seed = 12345;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: sentences }, () => Array.from({ length: 4 + Math.floor(next() * 10) }, () => words[Math.floor(next() * words.length)]).join(' ') + '.\n');
}

describe('trainByteLevelBpe', () => {
  const texts = corpus(2000);
  const tokenizer = trainByteLevelBpe(texts, { vocabSize: 340, specialTokens: ['<|endoftext|>', '<|pad|>'] });

  test('fills the vocabulary: special tokens first, then the 256 byte symbols, then merges', () => {
    assert.equal(tokenizer.vocabSize, 340);
    assert.equal(tokenizer.idToToken(0), '<|endoftext|>');
    assert.equal(tokenizer.isSpecial(1), true);
    assert.equal(tokenizer.idToToken(2), 'Ā', 'byte 0x00 maps to U+0100 in the byte-level alphabet');
    assert.equal(tokenizer.idToToken(2 + 0x41), 'A');
    assert.equal(tokenizer.encode(' forecast').length, 1, 'a frequent word becomes one token');
  });

  test('saves a standard tokenizer.json that @huggingface/tokenizers loads and encodes identically', () => {
    tokenizer.save(dir);
    const json = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model: { type: string; merges: unknown[] }; pre_tokenizer: { type: string }; decoder: { type: string } };
    assert.equal(json.model.type, 'BPE');
    assert.equal(json.model.merges.length, 340 - 2 - 256);
    assert.equal(json.pre_tokenizer.type, 'ByteLevel');
    assert.equal(json.decoder.type, 'ByteLevel');
    const hf = new HfLibraryTokenizer(json, JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
    const samples = [...texts.slice(0, 20), 'Unseen: naïve façade, Ωmega, 🚀 and 12345!<|endoftext|>', "  it's    spaced\t\ttabs\n\n", '<|pad|><|pad|>the'];
    for (const text of samples) {
      const ids = tokenizer.encode(text);
      assert.deepEqual(hf.encode(text, { add_special_tokens: false }).ids, ids, text);
      assert.equal(tokenizer.decode(ids), text);
      assert.equal(hf.decode(ids), text);
    }
  });

  test('stops merging when no pair reaches minFrequency', () => {
    const tiny = trainByteLevelBpe(['ab ab cd'], { vocabSize: 1000, minFrequency: 3 });
    assert.equal(tiny.vocabSize, 256);
    const some = trainByteLevelBpe(['ab ab cd'], { vocabSize: 1000, minFrequency: 2 });
    assert.equal(some.vocabSize, 257);
    assert.deepEqual(some.encode('ab'), [256]);
  });

  test("the 'qwen2' pre-tokenizer keeps every digit its own token, also after a save and load", () => {
    const numbers = Array.from({ length: 300 }, (_, i) => `add ${100 + i} and ${i * 7} gives ${100 + 8 * i}.`);
    const digits = trainByteLevelBpe(numbers, { vocabSize: 400, pretokenizer: 'qwen2' });
    const ids = digits.encode(' 1234 and 56');
    assert.deepEqual(ids.map((id) => digits.decode([id])), [' ', '1', '2', '3', '4', ' and', ' ', '5', '6']);
    const grouped = trainByteLevelBpe(numbers, { vocabSize: 400 });
    assert.ok(grouped.encode(' 1234').length < 5, 'the GPT-2 pattern lets digits merge');
    const saved = join(dir, 'qwen2');
    digits.save(saved);
    const hf = new HfLibraryTokenizer(JSON.parse(readFileSync(join(saved, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(saved, 'tokenizer_config.json'), 'utf8')));
    assert.deepEqual(hf.encode(' 1234 and 56', { add_special_tokens: false }).ids, ids);
  });

  test('rejects an unknown pre-tokenizer', () => {
    assert.throws(() => trainByteLevelBpe(['x'], { vocabSize: 300, pretokenizer: 'nope' }), /unknown pre-tokenizer "nope"/);
  });

  test('rejects a vocabulary too small for the byte alphabet', () => {
    assert.throws(() => trainByteLevelBpe(['x'], { vocabSize: 100, specialTokens: ['<s>'] }), /vocabSize 100 is smaller than the 1 special tokens plus 256 byte symbols/);
  });
});
