import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHfConfig, toHfConfig, ModelConfigError } from './config.js';

// Field values as published in the checkpoints' config.json (trimmed to the fields the decoder reads).
const smolLM2 = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30,
  num_attention_heads: 9, num_key_value_heads: 3, hidden_act: 'silu', max_position_embeddings: 8192, rms_norm_eps: 1e-5,
  rope_theta: 100000, rope_scaling: null, tie_word_embeddings: true, vocab_size: 49152, bos_token_id: 1, eos_token_id: 2,
  attention_bias: false, mlp_bias: false,
};
const llama31 = {
  model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: 8, max_position_embeddings: 131072, rms_norm_eps: 1e-5, rope_theta: 500000, vocab_size: 128256,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
  bos_token_id: 128000, eos_token_id: [128001, 128008, 128009], tie_word_embeddings: false,
};
const qwen25 = {
  model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
  num_key_value_heads: 2, max_position_embeddings: 32768, rms_norm_eps: 1e-6, rope_theta: 1000000, vocab_size: 151936,
  sliding_window: 32768, use_sliding_window: false, max_window_layers: 21, tie_word_embeddings: true, eos_token_id: 151643,
};
const qwen3 = {
  model_type: 'qwen3', hidden_size: 1024, head_dim: 128, intermediate_size: 3072, num_hidden_layers: 28,
  num_attention_heads: 16, num_key_value_heads: 8, max_position_embeddings: 40960, rms_norm_eps: 1e-6, rope_theta: 1000000,
  vocab_size: 151936, attention_bias: false, tie_word_embeddings: true, use_sliding_window: false, sliding_window: null,
};

test('SmolLM2 (llama type) parses to grouped-query attention with tied embeddings and no biases', () => {
  const c = parseHfConfig(smolLM2);
  assert.deepEqual(c, {
    family: 'llama', vocabSize: 49152, dim: 576, layers: 30, heads: 9, kvHeads: 3, headDim: 64, hiddenDim: 1536,
    normEps: 1e-5, ropeTheta: 100000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false,
    tieWordEmbeddings: true, maxPositions: 8192, bosTokenId: 1, eosTokenIds: [2],
  });
});

test('Llama 3.1 keeps its llama3 rope scaling and all of its eos ids', () => {
  const c = parseHfConfig(llama31);
  assert.deepEqual(c.ropeScaling, { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  assert.deepEqual(c.eosTokenIds, [128001, 128008, 128009]);
  assert.equal(c.headDim, 128);
});

test('Qwen2.5 has q/k/v bias but no output bias; Qwen3 has q/k RMSNorm and an explicit head_dim', () => {
  const q2 = parseHfConfig(qwen25);
  assert.deepEqual([q2.qkvBias, q2.outputBias, q2.qkNorm, q2.headDim], [true, false, false, 64]);
  const q3 = parseHfConfig(qwen3);
  assert.deepEqual([q3.qkvBias, q3.outputBias, q3.qkNorm, q3.headDim], [false, false, true, 128]);
});

test('a Mistral sliding window caps the usable context instead of being silently ignored', () => {
  const mistral = { ...smolLM2, model_type: 'mistral', max_position_embeddings: 32768, sliding_window: 4096 };
  assert.equal(parseHfConfig(mistral).maxPositions, 4096);
  assert.equal(parseHfConfig({ ...mistral, sliding_window: null }).maxPositions, 32768);
});

test('unsupported model types and options are rejected by name', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...smolLM2, model_type: 'gpt2' }, /model_type "gpt2" is not supported/],
    [{ ...qwen25, use_sliding_window: true }, /"use_sliding_window": true/],
    [{ ...qwen25, num_experts: 60 }, /mixture of experts \("num_experts": 60\)/],
    [{ ...llama31, rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling type "yarn" is not supported/],
    [{ ...smolLM2, hidden_act: 'gelu' }, /hidden_act "gelu"/],
    [{ ...smolLM2, mlp_bias: true }, /"mlp_bias": true/],
    [{ ...smolLM2, num_key_value_heads: 4 }, /must be a multiple of num_key_value_heads \(4\)/],
    [{ ...smolLM2, hidden_size: '576' }, /"hidden_size" must be a positive integer, got "576"/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseHfConfig(json, 'model/config.json'), (err: unknown) => {
      assert.ok(err instanceof ModelConfigError);
      assert.match(err.message, /^model\/config\.json: /);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('toHfConfig round-trips through parseHfConfig for every family', () => {
  for (const json of [smolLM2, llama31, qwen25, qwen3]) {
    const config = parseHfConfig(json);
    assert.deepEqual(parseHfConfig(toHfConfig(config)), config);
  }
});
