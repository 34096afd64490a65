import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { GgufFile } from './gguf.js';
import { ggufAsHuggingFace } from './llama-mapping.js';
import { Llama2cCheckpoint } from './llama2c.js';

const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));
const bin = join(stories, 'stories260K.bin');
const gguf = join(stories, 'stories260K.gguf');

describe('llama2.c checkpoint', () => {
  test('stories260K.bin gives the Hugging Face config and shapes of a 5-layer GQA Llama with tied embeddings', (t) => {
    if (!existsSync(bin)) return t.skip('../shared absent');
    const ckpt = new Llama2cCheckpoint(bin);
    assert.deepEqual(ckpt.config, {
      model_type: 'llama',
      architectures: ['LlamaForCausalLM'],
      hidden_size: 64,
      num_hidden_layers: 5,
      num_attention_heads: 8,
      num_key_value_heads: 4,
      intermediate_size: 172,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      vocab_size: 512,
      max_position_embeddings: 512,
      tie_word_embeddings: true,
      head_dim: 8,
      attention_bias: false,
      rope_scaling: null,
      bos_token_id: 1,
      eos_token_id: 2,
    });
    assert.equal(ckpt.names().length, 2 + 5 * 9);
    assert.deepEqual(ckpt.shape('model.embed_tokens.weight'), [512, 64]);
    assert.deepEqual(ckpt.shape('model.layers.4.self_attn.k_proj.weight'), [32, 64]);
    assert.deepEqual(ckpt.shape('model.layers.0.mlp.down_proj.weight'), [64, 172]);
    assert.equal(ckpt.names().includes('lm_head.weight'), false);
    ckpt.close();
  });

  test('every stories260K.bin weight equals the stories260K.gguf weight after both are converted to the HF layout', (t) => {
    if (!existsSync(bin) || !existsSync(gguf)) return t.skip('../shared absent');
    const ckpt = new Llama2cCheckpoint(bin);
    const { config, weights } = ggufAsHuggingFace(new GgufFile(gguf));
    assert.equal(config.hidden_size, 64);
    assert.equal(config.num_key_value_heads, 4);
    for (const name of ckpt.names()) {
      assert.deepEqual(weights.shape(name), ckpt.shape(name), name);
      assert.deepEqual(weights.read(name), ckpt.read(name), name);
    }
    // The GGUF keeps an explicit copy of the shared classifier.
    assert.deepEqual(weights.read('lm_head.weight'), ckpt.read('model.embed_tokens.weight'));
    weights.close();
    ckpt.close();
  });

  test('a truncated checkpoint is rejected with the byte counts', (t) => {
    if (!existsSync(bin)) return t.skip('../shared absent');
    const dir = mkdtempSync(join(tmpdir(), 'toolken-llama2c-'));
    try {
      const cut = join(dir, 'cut.bin');
      copyFileSync(bin, cut);
      truncateSync(cut, statSync(bin).size - 100);
      assert.throws(() => new Llama2cCheckpoint(cut), (err: Error) => err.message.startsWith(cut) && /describes \d+ bytes of weights but the file has \d+ \(truncated checkpoint\)/.test(err.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
