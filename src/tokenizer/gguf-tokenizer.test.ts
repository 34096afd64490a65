import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { GgufFile, writeGguf } from '../formats/gguf.js';
import { tokenizerFromGguf } from './gguf-tokenizer.js';
import { trainByteLevelBpe } from './bpe-trainer.js';
import { loadLlama2cTokenizer } from './llama2c-tokenizer.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'toolken-gguf-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('GGUF embedded tokenizers', () => {
  test('stories260K.gguf ("llama" SentencePiece vocab) encodes like tok512.bin, including the reference prompts', (t) => {
    if (!existsSync(stories)) return t.skip('../shared absent');
    const gguf = new GgufFile(join(stories, 'stories260K.gguf'));
    const fromGguf = tokenizerFromGguf(gguf);
    gguf.close();
    const fromBin = loadLlama2cTokenizer(join(stories, 'tok512.bin'));
    assert.equal(fromGguf.vocabSize, 512);
    assert.equal(fromGguf.bosId, 1);
    assert.equal(fromGguf.eosId, 2);
    const { cases } = JSON.parse(readFileSync(join(stories, 'reference.json'), 'utf8')) as { cases: { prompt: string; tokens: number[]; text: string }[] };
    for (const c of cases) {
      const ids = fromGguf.encode(c.prompt, { addBos: true });
      assert.deepEqual(ids, c.tokens.slice(0, ids.length), c.prompt);
      assert.equal(fromGguf.decode(c.tokens, { skipSpecial: true }), c.text);
    }
    for (const text of ['Tim and Sue ran fast!\nThe end.', '  two spaces', 'ünïcödé ✓']) {
      assert.deepEqual(fromGguf.encode(text, { addBos: true }), fromBin.encode(text, { addBos: true }), text);
    }
  });

  test('a "gpt2" byte-level BPE vocab with merges, control and user-defined tokens encodes like the tokenizer it was written from', () => {
    const corpus = ['the cat sat on the mat. ', 'the dog sat on the log! ', 'cats and dogs, 123 456. '].map((s) => s.repeat(20));
    const trained = trainByteLevelBpe(corpus, { vocabSize: 300, specialTokens: ['<|endoftext|>'] });
    const [tool] = trained.addTokens(['<<weather>>']);
    const tokens = Array.from({ length: trained.vocabSize }, (_, id) => trained.idToToken(id)!);
    const types = tokens.map((_, id) => (id === 0 ? 3 : id === tool ? 4 : 1));
    const merges = JSON.parse(readFileSync(saveTo(trained), 'utf8')).model.merges as [string, string][];
    const path = join(dir, 'bpe.gguf');
    writeGguf(path, [], {
      'general.architecture': { type: 'string', value: 'llama' },
      'tokenizer.ggml.model': { type: 'string', value: 'gpt2' },
      'tokenizer.ggml.pre': { type: 'string', value: 'default' },
      'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', value: tokens },
      'tokenizer.ggml.token_type': { type: 'array', itemType: 'i32', value: types },
      'tokenizer.ggml.merges': { type: 'array', itemType: 'string', value: merges.map(([a, b]) => `${a} ${b}`) },
      'tokenizer.ggml.eos_token_id': { type: 'u32', value: 0 },
      'tokenizer.chat_template': { type: 'string', value: '{{ messages[0].content }}' },
    });
    const gguf = new GgufFile(path);
    const tok = tokenizerFromGguf(gguf);
    gguf.close();
    assert.equal(tok.vocabSize, trained.vocabSize);
    assert.equal(tok.eosId, 0);
    assert.equal(tok.chatTemplate, '{{ messages[0].content }}');
    assert.equal(tok.isSpecial(0), true);
    assert.equal(tok.isSpecial(tool!), false);
    for (const text of ['the cat sat on the log<|endoftext|>', 'a <<weather>> for 42 dogs?', 'unseen wörds ✓\n']) {
      assert.deepEqual(tok.encode(text), trained.encode(text), text);
      assert.equal(tok.decode(tok.encode(text)), text);
    }
  });

  test('an unsupported tokenizer model is named in the error', () => {
    const path = join(dir, 'unigram.gguf');
    writeGguf(path, [], {
      'tokenizer.ggml.model': { type: 'string', value: 't5' },
      'tokenizer.ggml.tokens': { type: 'array', itemType: 'string', value: ['a'] },
    });
    const gguf = new GgufFile(path);
    assert.throws(() => tokenizerFromGguf(gguf), /tokenizer model "t5" is not supported \(supported: "llama", "gpt2"\)/);
    gguf.close();
  });
});

function saveTo(tok: { save(dir: string): void }): string {
  const out = mkdtempSync(join(dir, 'saved-'));
  tok.save(out);
  return join(out, 'tokenizer.json');
}
