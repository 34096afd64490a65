import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { loadDecoder } from './load.js';
import { saveModel, exportGguf } from './save.js';
import { refBackend } from '../tensor/backends/ref.js';
import { loadLlama2cTokenizer } from '../tokenizer/llama2c-tokenizer.js';
import { fileURLToPath } from 'node:url';
import { withTempDir } from '../util/testing/temp-dir.js';

const base: DecoderConfig = {
  family: 'llama', vocabSize: 40, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 64, bosTokenId: 1, eosTokenIds: [2, 3],
};
const families: Record<string, DecoderConfig> = {
  llama: base,
  'qwen2 (biases, tied)': { ...base, family: 'qwen2', qkvBias: true, tieWordEmbeddings: true },
  'qwen3 (q/k norm)': { ...base, family: 'qwen3', qkNorm: true, headDim: 8 },
  // GGUF keeps Llama-3 scaling as a rope_freqs tensor (llama.cpp's form), read back as an equivalent rope_scaling.
  'llama 3.1 (rope scaling)': {
    ...base, heads: 2, kvHeads: 1, headDim: 8, ropeTheta: 500000,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 },
  },
};
const tokens = [1, 7, 20, 39, 4];

/** Random weights with non-zero biases and norms, so that losing any of them on the way would show. */
function randomModel(config: DecoderConfig, seed: number): DecoderModel {
  let state = seed;
  const tensors = new Map(DecoderModel.random(config, seed, 0.2, refBackend).tensors().map((t) => {
    if (t.name.endsWith('.bias') || t.name.endsWith('norm.weight')) for (let i = 0; i < t.data.length; i++) t.data[i] = 1 + Math.sin(++state);
    return [t.name, t.data] as const;
  }));
  return new DecoderModel(config, tensors, refBackend);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

for (const [name, config] of Object.entries(families)) {
  test(`${name}: save as a Hugging Face directory, load back: identical config and logits`, () => {
    withTempDir('save', (dir) => {
      const model = randomModel(config, 5);
      saveModel(model, null, dir);
      assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'generation_config.json', 'model.safetensors']);
      const loaded = loadDecoder(dir, { backend: refBackend });
      assert.deepEqual(loaded.config, config);
      assert.equal(loaded.source, 'huggingface');
      assert.deepEqual(loaded.model.logitsAt(tokens), model.logitsAt(tokens));
      const generation = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(generation['eos_token_id'], [2, 3]);
    });
  });

  test(`${name}: export to GGUF (f32), load back: identical logits; f16 within 1e-2`, () => {
    withTempDir('save', (dir) => {
      const model = randomModel(config, 6);
      exportGguf(model, join(dir, 'm.gguf'));
      const loaded = loadDecoder(join(dir, 'm.gguf'), { backend: refBackend });
      assert.equal(loaded.source, 'gguf');
      assert.deepEqual(loaded.model.logitsAt(tokens), model.logitsAt(tokens));
      exportGguf(model, join(dir, 'h.gguf'), { dtype: 'f16' });
      const half = loadDecoder(join(dir, 'h.gguf'), { backend: refBackend });
      assert.ok(maxDiff(half.model.logitsAt(tokens), model.logitsAt(tokens)) < 1e-2);
    });
  });
}

const tokenizerPath = new URL('../../../shared/models/stories260K/tok512.bin', import.meta.url);

test('saving with a tokenizer adds tokenizer.json and tokenizer_config.json beside the weights', (t) => {
  if (!existsSync(tokenizerPath)) return t.skip('../shared absent');
  withTempDir('save', (dir) => {
    const tokenizer = loadLlama2cTokenizer(fileURLToPath(tokenizerPath));
    saveModel(DecoderModel.random({ ...base, vocabSize: 512 }, 0, 0.02, refBackend), tokenizer, dir);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
  });
});
