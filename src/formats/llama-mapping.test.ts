import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GgufFile, writeGguf } from './gguf.js';
import {
  ggufAsHuggingFace,
  ggufToHfConfig,
  ggufToHfName,
  hfConfigToGgufMetadata,
  hfToGgufName,
  huggingFaceAsGguf,
  permuteForInterleavedRope,
  unpermuteFromInterleavedRope,
} from './llama-mapping.js';
import type { HfModelConfig, WeightReader, WeightTensor } from './types.js';

const dir = mkdtempSync(join(tmpdir(), 'toolken-mapping-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function listReader(tensors: WeightTensor[]): WeightReader {
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return {
    names: () => [...byName.keys()],
    shape: (n) => byName.get(n)!.shape,
    dtype: () => 'F32',
    read: (n) => byName.get(n)!.data,
    close: () => undefined,
  };
}

const config: HfModelConfig = {
  model_type: 'llama',
  hidden_size: 8,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  intermediate_size: 12,
  rms_norm_eps: 1e-6,
  rope_theta: 500000,
  vocab_size: 10,
  max_position_embeddings: 128,
  tie_word_embeddings: true,
  rope_scaling: { rope_type: 'linear', factor: 4, original_max_position_embeddings: 32 },
};

describe('Llama-family GGUF <-> Hugging Face mapping', () => {
  test('tensor names map both ways for globals and every per-layer weight', () => {
    const pairs: [string, string][] = [
      ['token_embd.weight', 'model.embed_tokens.weight'],
      ['output.weight', 'lm_head.weight'],
      ['output_norm.weight', 'model.norm.weight'],
      ['blk.0.attn_q.weight', 'model.layers.0.self_attn.q_proj.weight'],
      ['blk.3.attn_k.bias', 'model.layers.3.self_attn.k_proj.bias'],
      ['blk.11.attn_output.weight', 'model.layers.11.self_attn.o_proj.weight'],
      ['blk.2.attn_q_norm.weight', 'model.layers.2.self_attn.q_norm.weight'],
      ['blk.2.ffn_gate.weight', 'model.layers.2.mlp.gate_proj.weight'],
      ['blk.2.ffn_down.weight', 'model.layers.2.mlp.down_proj.weight'],
      ['blk.2.attn_norm.weight', 'model.layers.2.input_layernorm.weight'],
      ['blk.2.ffn_norm.weight', 'model.layers.2.post_attention_layernorm.weight'],
    ];
    for (const [gguf, hf] of pairs) {
      assert.equal(ggufToHfName(gguf), hf);
      assert.equal(hfToGgufName(hf), gguf);
    }
    assert.equal(ggufToHfName('rope_freqs.weight'), undefined);
  });

  test('permuteForInterleavedRope moves rotate-half row h*d/2+i to row 2i+h within each head, and the inverse undoes it', () => {
    // 2 heads of dim 4, 1 column: rows hold their own index.
    const rows = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual([...permuteForInterleavedRope(rows, 8, 1, 2)], [0, 2, 1, 3, 4, 6, 5, 7]);
    const matrix = Float32Array.from({ length: 24 * 5 }, (_, i) => i * 0.5 - 7);
    assert.deepEqual(unpermuteFromInterleavedRope(permuteForInterleavedRope(matrix, 24, 5, 3), 24, 5, 3), matrix);
    assert.deepEqual(permuteForInterleavedRope(unpermuteFromInterleavedRope(matrix, 24, 5, 2), 24, 5, 2), matrix);
  });

  test('HF config -> GGUF metadata -> HF config is the identity on the Llama fields', () => {
    const path = join(dir, 'config.gguf');
    const embed = { name: 'model.embed_tokens.weight', shape: [10, 8], data: new Float32Array(80) };
    writeGguf(path, huggingFaceAsGguf(listReader([embed]), config), hfConfigToGgufMetadata(config));
    const gguf = new GgufFile(path);
    const back = ggufToHfConfig(gguf);
    gguf.close();
    assert.deepEqual(back, {
      ...config,
      rms_norm_eps: Math.fround(1e-6),
      architectures: ['LlamaForCausalLM'],
      head_dim: 4,
      attention_bias: false,
    });
  });

  test('HF weights -> GGUF(llama) -> HF restores q/k exactly; the GGUF file holds them interleaved', () => {
    const q = Float32Array.from({ length: 64 }, (_, i) => i);
    const k = Float32Array.from({ length: 32 }, (_, i) => -i);
    const weights = [
      { name: 'model.layers.0.self_attn.q_proj.weight', shape: [8, 8], data: q },
      { name: 'model.layers.0.self_attn.k_proj.weight', shape: [4, 8], data: k },
      { name: 'model.layers.0.self_attn.v_proj.weight', shape: [4, 8], data: k },
    ];
    const path = join(dir, 'weights.gguf');
    writeGguf(path, huggingFaceAsGguf(listReader(weights), config), hfConfigToGgufMetadata(config));
    const gguf = new GgufFile(path);
    assert.deepEqual(gguf.read('blk.0.attn_q.weight'), permuteForInterleavedRope(q, 8, 8, 2));
    assert.deepEqual(gguf.read('blk.0.attn_k.weight'), permuteForInterleavedRope(k, 4, 8, 1));
    assert.deepEqual(gguf.read('blk.0.attn_v.weight'), k);
    const hf = ggufAsHuggingFace(gguf).weights;
    for (const w of weights) assert.deepEqual(hf.read(w.name), w.data, w.name);
    hf.close();
  });

  test('qwen3 GGUF is already rotate-half: q/k pass through unchanged', () => {
    const qwen = { ...config, model_type: 'qwen3' };
    const q = Float32Array.from({ length: 64 }, (_, i) => i);
    const path = join(dir, 'qwen.gguf');
    writeGguf(path, huggingFaceAsGguf(listReader([{ name: 'model.layers.0.self_attn.q_proj.weight', shape: [8, 8], data: q }]), qwen), hfConfigToGgufMetadata(qwen));
    const gguf = new GgufFile(path);
    assert.deepEqual(gguf.read('blk.0.attn_q.weight'), q);
    const { config: back, weights } = ggufAsHuggingFace(gguf);
    assert.equal(back.model_type, 'qwen3');
    assert.deepEqual(weights.read('model.layers.0.self_attn.q_proj.weight'), q);
    weights.close();
  });
});
