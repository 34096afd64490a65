// A GGUF export carries the tokenizer llama.cpp needs: reading the file back with our own GGUF reader gives a
// tokenizer that encodes and decodes exactly like the original, and the model's logits unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GgufFile } from '../formats/gguf.js';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { loadModel } from './load.js';
import { exportGguf } from './save.js';
import { trainByteLevelBpe } from '../tokenizer/bpe-trainer.js';
import type { ByteLevelBpeTokenizer } from '../tokenizer/byte-level-bpe.js';
import { withPretokenizer } from '../tokenizer/testing/tool-tokenizer.js';
import { loadHfTokenizer } from '../tokenizer/hf.js';
import { ggufTokenizerMetadata, tokenizerFromGguf } from '../tokenizer/gguf-tokenizer.js';
import { GGUF_TOKEN_TYPE, type Tokenizer } from '../tokenizer/types.js';
import { withTempDir } from '../util/testing/temp-dir.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const storiesPresent = existsSync(join(stories, 'stories260K.bin'));

const TOOL_TOKENS = ['<<weather&&get_forecast>>', '<<calculator&&add>>'];
const SAMPLES = [
  'Once upon a time, there was a little girl named Lily.',
  'The weather forecast for Zürich: 23 °C, café 東京 🙂!\n\n  indented   spaces',
  'Call <<weather&&get_forecast>>{"city": "Paris"} then <<calculator&&add>>(2, 40).',
  '<|im_start|>user\nWhat is 1234567 + 89?<|im_end|>\n',
];

/** Exports `model` with `tokenizer` to `path` and hands the written file, open, to `inspect`; closes it after. */
function exportAndInspect(model: DecoderModel, tokenizer: Tokenizer, path: string, inspect: (gguf: GgufFile) => void): void {
  exportGguf(model, path, { tokenizer });
  const gguf = new GgufFile(path);
  try {
    inspect(gguf);
  } finally {
    gguf.close();
  }
}

/** Asserts that the model loaded back from `path` gives the logits `model` gives on `prompt`. */
async function assertSameLogitsOnReload(path: string, model: DecoderModel, prompt: readonly number[]): Promise<void> {
  const reloaded = await loadModel(path);
  assert.deepEqual(reloaded.model.logitsAt(prompt), model.logitsAt(prompt));
}

/** Asserts that `copy` tokenizes every sample exactly like `original` and decodes the ids back to the same text. */
function assertSameTokenization(copy: Tokenizer, original: Tokenizer): void {
  for (const text of SAMPLES) {
    const ids = original.encode(text, { addBos: true });
    assert.deepEqual(copy.encode(text, { addBos: true }), ids, `encoding of ${JSON.stringify(text)}`);
    assert.equal(copy.decode(ids), original.decode(ids), `decoding of ${JSON.stringify(text)}`);
    assert.equal(copy.decode(ids, { skipSpecial: true }), original.decode(ids, { skipSpecial: true }));
  }
  assert.equal(copy.bosId, original.bosId);
  assert.equal(copy.eosId, original.eosId);
  assert.equal(copy.chatTemplate, original.chatTemplate);
}

/** A byte-level BPE trained on tool-call text, with chat specials, and tool tokens added afterwards. */
function toolTokenizer(pretokenizer: 'gpt2' | 'qwen2' | 'llama-bpe'): ByteLevelBpeTokenizer {
  const corpus = Array.from({ length: 300 }, (_, i) => `${SAMPLES[i % 3]} ${i} call get_forecast for city ${i % 7}`);
  const trained = trainByteLevelBpe(corpus, { vocabSize: 400, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], bosToken: '<|im_start|>', eosToken: '<|im_end|>', chatTemplate: "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}" });
  return withPretokenizer(trained, pretokenizer, TOOL_TOKENS);
}

function smallConfig(family: DecoderConfig['family'], vocabSize: number, bosTokenId: number | null, eosTokenId: number): DecoderConfig {
  return {
    family, vocabSize, dim: 32, layers: 2, heads: 4, kvHeads: 2, headDim: 8, hiddenDim: 48, normEps: 1e-5, ropeTheta: 10000,
    ropeScaling: null, qkvBias: family === 'qwen2', outputBias: false, qkNorm: false, tieWordEmbeddings: family === 'qwen2',
    maxPositions: 128, bosTokenId, eosTokenIds: [eosTokenId],
  };
}

test('stories260K exported with its tokenizer reads back (llama SentencePiece) tokenizing and decoding identically, logits unchanged', async (t) => {
  if (!storiesPresent) return t.skip('../shared absent');
  const { model, tokenizer } = await loadModel(join(stories, 'stories260K.bin'));
  await withTempDir('gguf-export', async (dir) => {
    const path = join(dir, 'stories.gguf');
    exportAndInspect(model, tokenizer, path, (gguf) => {
      assert.equal(gguf.get('tokenizer.ggml.model'), 'llama');
      assert.deepEqual((gguf.get('tokenizer.ggml.token_type') as number[]).slice(0, 5), [GGUF_TOKEN_TYPE.unknown, GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.byte, GGUF_TOKEN_TYPE.byte]);
      assert.equal(gguf.get('tokenizer.ggml.add_bos_token'), true);
      assertSameTokenization(tokenizerFromGguf(gguf), tokenizer);
    });
    await assertSameLogitsOnReload(path, model, tokenizer.encode(SAMPLES[0]!, { addBos: true }));
  });
});

test('SentencePiece user-defined tokens are written as USER_DEFINED with score 0 and still match verbatim after the round trip', async (t) => {
  if (!storiesPresent) return t.skip('../shared absent');
  const { tokenizer } = await loadModel(join(stories, 'stories260K.bin'));
  const [weather] = tokenizer.addTokens(TOOL_TOKENS);
  const meta = ggufTokenizerMetadata(tokenizer);
  assert.equal((meta['tokenizer.ggml.token_type']!.value as number[])[weather!], GGUF_TOKEN_TYPE.userDefined);
  assert.equal((meta['tokenizer.ggml.scores']!.value as number[])[weather!], 0);
  withTempDir('gguf-export', (dir) => {
    const model = DecoderModel.random(smallConfig('llama', tokenizer.vocabSize, 1, 2), 3, 0.1);
    exportAndInspect(model, tokenizer, join(dir, 'tools.gguf'), (gguf) => {
      const copy = tokenizerFromGguf(gguf);
      assertSameTokenization(copy, tokenizer);
      assert.equal(copy.tokenToId('<<weather&&get_forecast>>'), weather);
    });
  });
});

for (const [pretokenizer, family, pre] of [['qwen2', 'qwen2', 'qwen2'], ['llama-bpe', 'llama', 'llama-bpe'], ['gpt2', 'llama', 'gpt-2']] as const) {
  test(`byte-level BPE (${pretokenizer}) with tool tokens exports as tokenizer.ggml.model "gpt2", pre "${pre}", and reads back identically with unchanged logits`, async () => {
    const tokenizer = toolTokenizer(pretokenizer);
    const model = DecoderModel.random(smallConfig(family, tokenizer.vocabSize, tokenizer.bosId!, tokenizer.eosId!), 5, 0.1);
    await withTempDir('gguf-export', async (dir) => {
      const path = join(dir, `${pretokenizer}.gguf`);
      exportAndInspect(model, tokenizer, path, (gguf) => {
        assert.equal(gguf.get('tokenizer.ggml.model'), 'gpt2');
        assert.equal(gguf.get('tokenizer.ggml.pre'), pre);
        const types = gguf.get('tokenizer.ggml.token_type') as number[];
        assert.deepEqual(types.slice(0, 4), [GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.control, GGUF_TOKEN_TYPE.normal]);
        assert.deepEqual(types.slice(-2), [GGUF_TOKEN_TYPE.userDefined, GGUF_TOKEN_TYPE.userDefined]);
        assert.deepEqual((gguf.get('tokenizer.ggml.tokens') as string[]).slice(-2), TOOL_TOKENS);
        assertSameTokenization(tokenizerFromGguf(gguf), tokenizer);
      });
      await assertSameLogitsOnReload(path, model, tokenizer.encode(SAMPLES[2]!, { addBos: true }));
    });
  });
}

for (const [pretokenizer, pre] of [['qwen2', 'qwen2'], ['llama-bpe', 'llama-bpe'], ['gpt2', 'gpt-2']] as const) {
  test(`a Hugging Face byte-level tokenizer.json (${pretokenizer} split, tool tokens) exports with pre "${pre}" and reads back tokenizing identically`, async () => {
    await withTempDir('gguf-export', async (dir) => {
      toolTokenizer(pretokenizer).save(dir);
      const tokenizer = loadHfTokenizer(dir);
      const model = DecoderModel.random(smallConfig('qwen2', tokenizer.vocabSize, tokenizer.bosId!, tokenizer.eosId!), 7, 0.1);
      exportAndInspect(model, tokenizer, join(dir, 'hf.gguf'), (gguf) => {
        assert.equal(gguf.get('tokenizer.ggml.pre'), pre);
        assertSameTokenization(tokenizerFromGguf(gguf), tokenizer);
      });
    });
  });
}

test('a Hugging Face tokenizer that is not byte-level BPE is refused with the reason', async (t) => {
  if (!storiesPresent) return t.skip('../shared absent');
  const { tokenizer } = await loadModel(join(stories, 'stories260K.bin'));
  withTempDir('gguf-export', (dir) => {
    tokenizer.save(dir);
    assert.throws(() => ggufTokenizerMetadata(loadHfTokenizer(dir)), /only byte-level BPE tokenizer.json files can be written as GGUF tokenizer metadata/);
  });
});

test('a vocabulary smaller than the embedding is padded with unused [PAD<id>] tokens; a larger one is refused', () => {
  const tokenizer = toolTokenizer('qwen2');
  const meta = ggufTokenizerMetadata(tokenizer, tokenizer.vocabSize + 2);
  assert.deepEqual((meta['tokenizer.ggml.tokens']!.value as string[]).slice(-2), [`[PAD${tokenizer.vocabSize}]`, `[PAD${tokenizer.vocabSize + 1}]`]);
  assert.deepEqual((meta['tokenizer.ggml.token_type']!.value as number[]).slice(-2), [GGUF_TOKEN_TYPE.unused, GGUF_TOKEN_TYPE.unused]);
  assert.throws(() => ggufTokenizerMetadata(tokenizer, tokenizer.vocabSize - 1), /the tokenizer has \d+ tokens but the model only \d+ embedding rows/);
});

test('without ggufVocabulary a tokenizer is refused with the reason', () => {
  const opaque = Object.create(toolTokenizer('gpt2'), { ggufVocabulary: { value: undefined } }) as Tokenizer;
  assert.throws(() => ggufTokenizerMetadata(opaque), /cannot be written as GGUF tokenizer metadata/);
});
