import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { CheckpointError } from '../formats/errors.js';
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

  test('every malformed tokenizer file is a CheckpointError naming the file and the problem', (t) => {
    trainByteLevelBpe(['hello hello world'], { vocabSize: 260 }).save(dir);
    const valid = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
    const cases: [string, string, RegExp][] = [
      ['not-json', '{"model":', /cannot read tokenizer file/],
      ['null', 'null', /not a Hugging Face tokenizer\.json/],
      ['vocab', JSON.stringify({ ...valid, model: { type: 'BPE', vocab: { a: 'x' } } }), /"model\.vocab" must map tokens to non-negative integer ids/],
      ['merges', JSON.stringify({ ...valid, model: { ...(valid['model'] as object), merges: [7] } }), /"model\.merges" must be a list/],
      ['no-type', JSON.stringify({ ...valid, model: { ...(valid['model'] as object), type: undefined } }), /"model\.type" is undefined, not one of BPE, WordPiece/],
      ['merge-outside-vocab', JSON.stringify({ ...valid, model: { ...(valid['model'] as object), merges: ['h zz'] } }), /merge 0 "h zz" joins or makes a token that is not in "model\.vocab"/],
      ['added', JSON.stringify({ ...valid, added_tokens: [{ id: -1, content: 'x' }] }), /"added_tokens" must be a list/],
      ['library', JSON.stringify({ ...valid, normalizer: { type: 'NoSuchNormalizer' } }), /@huggingface\/tokenizers cannot build this tokenizer/],
    ];
    for (const [name, text, message] of cases) {
      const folder = join(dir, `bad-${name}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'tokenizer.json'), text);
      assert.throws(() => loadTokenizer(folder), (err: Error) => err instanceof CheckpointError && err.message.startsWith(join(folder, 'tokenizer.json')) && message.test(err.message), name);
    }
    const configFolder = join(dir, 'bad-config');
    mkdirSync(configFolder, { recursive: true });
    writeFileSync(join(configFolder, 'tokenizer.json'), JSON.stringify(valid));
    writeFileSync(join(configFolder, 'tokenizer_config.json'), '[1]');
    assert.throws(() => loadTokenizer(configFolder), (err: Error) => err instanceof CheckpointError && /tokenizer_config\.json: not a JSON object/.test(err.message));

    if (!existsSync(stories)) return t.skip('../shared absent');
    const tok = readFileSync(join(stories, 'tok512.bin'));
    const cut = join(dir, 'cut.bin');
    writeFileSync(cut, tok.subarray(0, 100));
    assert.throws(() => loadTokenizer(cut, 512), (err: Error) => err instanceof CheckpointError && err.message.startsWith(cut));
    writeFileSync(cut, tok.subarray(0, 30));
    assert.throws(() => loadTokenizer(cut), (err: Error) => err instanceof CheckpointError && err.message.startsWith(cut));
  });
});
