import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { trainByteLevelBpe } from './bpe-trainer.js';
import { HfTokenizer } from './hf.js';
import { loadTokenizer } from './load.js';
import { SentencePieceTokenizer } from './sentencepiece.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'toolken-load-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('loadTokenizer', () => {
  test('a directory with tokenizer.json loads through @huggingface/tokenizers', () => {
    trainByteLevelBpe(['hello hello world'], { vocabSize: 260 }).save(dir);
    const tok = loadTokenizer(dir);
    assert.ok(tok instanceof HfTokenizer);
    assert.equal(tok.decode(tok.encode('hello world')), 'hello world');
  });

  test('.bin and .gguf load the SentencePiece vocabularies of stories260K', (t) => {
    if (!existsSync(stories)) return t.skip('../shared absent');
    for (const file of ['tok512.bin', 'stories260K.gguf']) {
      const tok = loadTokenizer(join(stories, file));
      assert.ok(tok instanceof SentencePieceTokenizer, file);
      assert.equal(tok.vocabSize, 512, file);
    }
  });

  test('a missing path and an unknown file type are named in the error', () => {
    const vocab = join(dir, 'vocab.txt');
    writeFileSync(vocab, 'a\nb\n');
    assert.throws(() => loadTokenizer(vocab), /vocab\.txt: unknown tokenizer format/);
    assert.throws(() => loadTokenizer(join(dir, 'nothing.here')), /nothing\.here: no such file or directory/);
  });
});
