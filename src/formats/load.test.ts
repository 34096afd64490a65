import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { openModel, readHfConfig, saveHfModel } from './load.js';
import { writeSafetensors } from './safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const stories = fileURLToPath(new URL('../../../shared/models/stories260K/', import.meta.url));

describe('openModel', () => {
  test('a Hugging Face directory gives its config (with defaults) and safetensors weights', () => {
    const model = join(dir, 'hf');
    writeSafetensors(join(model, 'model.safetensors'), [{ name: 'model.norm.weight', shape: [2], data: Float32Array.from([1, 2]) }]);
    writeFileSync(
      join(model, 'config.json'),
      JSON.stringify({ model_type: 'qwen3', hidden_size: 2, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 4, vocab_size: 7, tie_word_embeddings: true, head_dim: 1 }),
    );
    const opened = openModel(model);
    assert.equal(opened.format, 'safetensors');
    assert.deepEqual(opened.config, {
      model_type: 'qwen3',
      hidden_size: 2,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 2,
      intermediate_size: 4,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      vocab_size: 7,
      max_position_embeddings: 2048,
      tie_word_embeddings: true,
      rope_scaling: null,
      head_dim: 1,
    });
    assert.deepEqual([...opened.weights.read('model.norm.weight')], [1, 2]);
    opened.weights.close();
  });

  test('a config.json with a bad field names the file and the field', () => {
    const path = join(dir, 'bad-config.json');
    writeFileSync(path, JSON.stringify({ model_type: 'llama', num_attention_heads: 8, hidden_size: '64' }));
    assert.throws(() => readHfConfig(path), new RegExp(`^CheckpointError: ${path.replace(/[/.]/g, '\\$&')}: "hidden_size" must be a positive integer, got "64"$`));
  });

  test('.gguf and llama2.c .bin open to the same Hugging Face config fields', (t) => {
    if (!existsSync(stories)) return t.skip('../shared absent');
    const bin = openModel(join(stories, 'stories260K.bin'));
    const gguf = openModel(join(stories, 'stories260K.gguf'));
    assert.equal(bin.format, 'llama2c');
    assert.equal(gguf.format, 'gguf');
    for (const key of ['hidden_size', 'num_hidden_layers', 'num_attention_heads', 'num_key_value_heads', 'intermediate_size', 'vocab_size', 'rope_theta'] as const) {
      assert.equal(gguf.config[key], bin.config[key], key);
    }
    bin.weights.close();
    gguf.weights.close();
  });

  test('stories260K.bin saved as a Hugging Face directory reopens with the same config and weights', (t) => {
    if (!existsSync(stories)) return t.skip('../shared absent');
    const bin = openModel(join(stories, 'stories260K.bin'));
    const out = join(dir, 'stories-hf');
    saveHfModel(out, bin.config, bin.weights);
    const hf = openModel(out);
    assert.deepEqual(hf.config, bin.config);
    assert.deepEqual(hf.weights.names().sort(), bin.weights.names().sort());
    for (const name of bin.weights.names()) assert.deepEqual(hf.weights.read(name), bin.weights.read(name), name);
    bin.weights.close();
    hf.weights.close();
  });
});
