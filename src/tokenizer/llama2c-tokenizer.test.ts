import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Tokenizer as HfLibraryTokenizer } from '@huggingface/tokenizers';
import { loadLlama2cTokenizer } from './llama2c-tokenizer.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const tokPath = join(stories, 'tok512.bin');

interface ReferenceCase {
  prompt: string;
  tokens: number[];
  text: string;
}

function referenceCases(): ReferenceCase[] {
  return (JSON.parse(readFileSync(join(stories, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] }).cases;
}

describe('llama2.c tokenizer (tok512.bin)', () => {
  test('encodes every reference prompt to run.c\'s ids (BOS, dummy-prefix space, score-greedy merges)', (t) => {
    if (!existsSync(tokPath)) return t.skip('../shared absent');
    const tok = loadLlama2cTokenizer(tokPath);
    assert.equal(tok.vocabSize, 512);
    assert.deepEqual(tok.encode('Once upon a time', { addBos: true }), [1, 403, 407, 261, 378]);
    for (const c of referenceCases()) {
      const ids = tok.encode(c.prompt, { addBos: true });
      assert.deepEqual(ids, c.tokens.slice(0, ids.length), c.prompt);
    }
  });

  test('decodes the reference continuations to run.c\'s text: no space after BOS, <0x0A> as a newline', (t) => {
    if (!existsSync(tokPath)) return t.skip('../shared absent');
    const tok = loadLlama2cTokenizer(tokPath);
    for (const c of referenceCases()) assert.equal(tok.decode(c.tokens, { skipSpecial: true }), c.text);
  });

  test('tokenBytes: spaces for ▁, raw bytes for byte pieces, nothing for BOS/EOS', (t) => {
    if (!existsSync(tokPath)) return t.skip('../shared absent');
    const tok = loadLlama2cTokenizer(tokPath);
    assert.deepEqual([...tok.tokenBytes(13)], [0x0a]);
    assert.equal(tok.idToToken(13), '<0x0A>');
    assert.equal(Buffer.from(tok.tokenBytes(tok.tokenToId('▁the')!)).toString(), ' the');
    assert.deepEqual([...tok.tokenBytes(1)], []);
    assert.equal(tok.isSpecial(2), true);
    assert.equal(tok.isSpecial(13), false);
  });

  test('text outside the vocabulary falls back to UTF-8 byte pieces and decodes back unchanged', (t) => {
    if (!existsSync(tokPath)) return t.skip('../shared absent');
    const tok = loadLlama2cTokenizer(tokPath);
    const text = 'Zoë said: "日本 🚀"\n\tend';
    const ids = tok.encode(text, { addBos: true, addEos: true });
    assert.equal(ids[0], 1);
    assert.equal(ids.at(-1), 2);
    assert.ok(ids.includes(3 + 0xf0), 'the first byte of the rocket emoji is byte piece <0xF0>');
    assert.equal(tok.decode(ids, { skipSpecial: true }), text);
  });

  test('added tokens are single tokens and save -> @huggingface/tokenizers reload encodes the same ids', (t) => {
    if (!existsSync(tokPath)) return t.skip('../shared absent');
    const tok = loadLlama2cTokenizer(tokPath);
    const [weather, calc] = tok.addTokens(['<<weather&&get_forecast>>', '<<calc>>']);
    assert.deepEqual([weather, calc], [512, 513]);
    assert.deepEqual(tok.addTokens(['<<calc>>']), [513], 'adding again keeps the id');
    const text = 'The dog asked <<weather&&get_forecast>>(park) and then<<calc>> 2+2.';
    const ids = tok.encode(text);
    assert.equal(ids.filter((id) => id === weather).length, 1);
    assert.equal(ids.filter((id) => id === calc).length, 1);
    assert.equal(tok.decode(ids), text);

    const dir = mkdtempSync(join(tmpdir(), 'toolken-tok512-'));
    try {
      tok.save(dir);
      const hf = new HfLibraryTokenizer(JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')));
      for (const c of [...referenceCases().map((r) => r.prompt), text, 'Lily saw a big red ball.\nShe smiled.', 'naïve café']) {
        assert.deepEqual(hf.encode(c, { add_special_tokens: false }).ids, tok.encode(c), c);
        assert.deepEqual(hf.encode(c).ids, tok.encode(c, { addBos: true }), `${c} with BOS`);
      }
      assert.equal(hf.decode(tok.encode(text)), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
