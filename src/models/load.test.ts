import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDecoder, loadModel } from './load.js';
import { saveModel } from './save.js';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { refBackend } from '../tensor/backends/ref.js';

const config: DecoderConfig = {
  family: 'qwen2', vocabSize: 20, dim: 8, layers: 1, heads: 2, kvHeads: 1, headDim: 4, hiddenDim: 16, normEps: 1e-6,
  ropeTheta: 10000, ropeScaling: null, qkvBias: true, outputBias: false, qkNorm: false, tieWordEmbeddings: true,
  maxPositions: 32, bosTokenId: null, eosTokenIds: [3],
};

function withModelDir(fn: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-load-'));
  saveModel(DecoderModel.random(config, 1, 0.02, refBackend), null, dir);
  return Promise.resolve(fn(dir)).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('generation_config.json adds its end-of-turn ids to the config ones', () =>
  withModelDir((dir) => {
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: [3, 7] }));
    assert.deepEqual(loadDecoder(dir, { backend: refBackend }).config.eosTokenIds, [3, 7]);
  }));

test('an unsupported option in config.json is refused by name even though the weights would load', () =>
  withModelDir((dir) => {
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen2', hidden_size: 8, num_hidden_layers: 1,
      num_attention_heads: 2, num_key_value_heads: 1, intermediate_size: 16, vocab_size: 20, use_sliding_window: true, sliding_window: 16 }));
    assert.throws(() => loadDecoder(dir, { backend: refBackend }), /config\.json: "use_sliding_window": true \(window 16\) is not supported/);
  }));

test('a directory without tokenizer.json loads as a model but not as model + tokenizer', () =>
  withModelDir(async (dir) => {
    assert.equal(loadDecoder(dir, { backend: refBackend }).source, 'huggingface');
    await assert.rejects(loadModel(dir, { backend: refBackend }), /tokenizer\.json: tokenizer file not found/);
  }));

test('a llama2.c checkpoint with no tok*.bin beside it asks for --tokenizer', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'toolken-load-'));
  try {
    // The smallest llama2.c checkpoint: dim 8, hidden 16, 1 layer, 2 heads, 2 kv heads, vocab 20, seq_len 4, zero weights.
    const header = new Int32Array([8, 16, 1, 2, 2, 20, 4]);
    const floats = 20 * 8 + 8 + 8 * 8 * 4 + 8 + 16 * 8 * 3 + 8 + 4 * 4;
    writeFileSync(join(dir, 'model.bin'), Buffer.concat([Buffer.from(header.buffer), Buffer.alloc(floats * 4)]));
    await assert.rejects(loadModel(join(dir, 'model.bin'), { backend: refBackend }), /cannot tell which tokenizer to use \(no tok\*\.bin in .*\); name one with --tokenizer/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
