import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHfConfig } from '../../models/config.js';
import { DecoderModel } from '../../models/decoder.js';
import { baseIdentity, jointModel, lastHidden } from './model.js';

const config = parseHfConfig({
  model_type: 'llama', vocab_size: 20, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, num_key_value_heads: 1,
  intermediate_size: 32, max_position_embeddings: 32, rms_norm_eps: 1e-5, tie_word_embeddings: true,
});

test('joint sessions give the base logits, then the tool rows applied to the final hidden state', () => {
  const base = DecoderModel.random(config, 4, 0.3);
  const rows = Float32Array.from({ length: 3 * 16 }, (_, i) => Math.sin(i));
  const session = jointModel(base, rows, 3).createSession(2, 16);
  const tokens = [1, 5, 7, 2];
  const joint = Float32Array.from(session.prefill(1, tokens));
  const plain = base.createSession(1, 16).prefill(0, tokens);
  assert.equal(joint.length, 23);
  for (let i = 0; i < 20; i++) assert.ok(Math.abs(joint[i]! - plain[i]!) < 1e-4);
  const h = lastHidden(base, tokens);
  for (let k = 0; k < 3; k++) {
    let dot = 0;
    for (let d = 0; d < 16; d++) dot += rows[k * 16 + d]! * h[d]!;
    assert.ok(Math.abs(joint[20 + k]! - dot) < 1e-3, `tool ${k}: ${joint[20 + k]} vs ${dot}`);
  }
  // Decoding continues from the cache with the same joint width.
  assert.equal(session.decode([1], [3]).length, 23);
});

test('the identity changes with the weights', () => {
  assert.equal(baseIdentity(DecoderModel.random(config, 1)).sha256, baseIdentity(DecoderModel.random(config, 1)).sha256);
  assert.notEqual(baseIdentity(DecoderModel.random(config, 1)).sha256, baseIdentity(DecoderModel.random(config, 2)).sha256);
});
