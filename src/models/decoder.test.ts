import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DecoderModel, IGNORE_INDEX, WeightMismatchError, decoderWeightShapes, ropeFrequencies } from './decoder.js';
import { parseHfConfig } from './config.js';
import type { DecoderConfig } from './config.js';
import { refBackend } from '../tensor/backends/ref.js';
import { noGrad, valueAndGrad } from '../tensor/autograd.js';
import { crossEntropy } from '../tensor/ops/crossEntropy.js';
import { Parameter } from '../nn/parameter.js';

const tiny: DecoderConfig = {
  family: 'llama', vocabSize: 37, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 24, normEps: 1e-5,
  ropeTheta: 10000, ropeScaling: null, qkvBias: false, outputBias: false, qkNorm: false, tieWordEmbeddings: false,
  maxPositions: 64, bosTokenId: 1, eosTokenIds: [2],
};
/** Every variant the decoder supports, in the shapes of the real families (scaled down). */
const variants: Record<string, DecoderConfig> = {
  'llama 2 (multi-head, untied)': { ...tiny, kvHeads: 4 },
  'llama (GQA, untied)': tiny,
  'mistral (GQA, theta 1e6)': { ...tiny, family: 'mistral', kvHeads: 1, ropeTheta: 1e6 },
  'smollm (GQA, tied)': { ...tiny, tieWordEmbeddings: true, kvHeads: 1, ropeTheta: 1e5 },
  'llama 3 rope scaling, tied': {
    ...tiny, tieWordEmbeddings: true,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 16 },
  },
  'qwen2 (q/k/v bias)': { ...tiny, family: 'qwen2', qkvBias: true },
  'qwen3 (q/k norm, head_dim != dim/heads)': { ...tiny, family: 'qwen3', qkNorm: true, headDim: 8 },
};

/** Random weights with random (non-zero) biases and norms, so every switch affects the output. */
function randomModel(config: DecoderConfig, seed = 1): DecoderModel {
  const base = DecoderModel.random(config, seed, 0.3, refBackend);
  let state = seed;
  const tensors = new Map(base.tensors().map((t) => {
    if (t.name.endsWith('.bias') || t.name.endsWith('norm.weight')) {
      for (let i = 0; i < t.data.length; i++) t.data[i] = (t.name.endsWith('.bias') ? 0 : 1) + 0.5 * Math.sin(++state);
    }
    return [t.name, t.data] as const;
  }));
  return new DecoderModel(config, tensors, refBackend);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const prompt = [1, 5, 9, 3, 30, 7];

for (const [name, config] of Object.entries(variants)) {
  test(`${name}: generation (KV-cached prefill, decode, batched decode) gives the training forward's logits at every position`, () => {
    const model = randomModel(config);
    const V = config.vocabSize;
    // Training: two sequences in one batch, recorded for autograd (the loss's forward).
    const other = [4, 8, 15, 16, 23, 2];
    const trained = model.logits(Int32Array.from([...prompt, ...other]), 2, prompt.length);
    assert.ok(trained.requiresGrad, 'the training forward is recorded');
    const training = trained.toArray();
    // Generation: both sequences prefilled to 2 tokens, then decoded together one token at a time.
    const session = model.createSession(2, prompt.length);
    assert.ok(maxDiff(session.prefill(0, prompt.slice(0, 2)), training.subarray(V, 2 * V)) < 1e-5);
    assert.ok(maxDiff(session.prefill(1, other.slice(0, 2)), training.subarray((prompt.length + 1) * V, (prompt.length + 2) * V)) < 1e-5);
    for (let i = 2; i < prompt.length; i++) {
      const both = session.decode([0, 1], [prompt[i]!, other[i]!]);
      assert.ok(maxDiff(both.subarray(0, V), training.subarray(i * V, (i + 1) * V)) < 1e-5, `sequence 0, position ${i}`);
      const j = prompt.length + i;
      assert.ok(maxDiff(both.subarray(V, 2 * V), training.subarray(j * V, (j + 1) * V)) < 1e-5, `sequence 1, position ${i}`);
    }
    assert.ok(maxDiff(model.logitsAt(prompt), training.subarray(0, prompt.length * V)) < 1e-5);
  });
}

test('each family switch changes the computation (the weights it adds are really used)', () => {
  const plain = randomModel(tiny).logitsAt(prompt);
  const biased = randomModel({ ...tiny, family: 'qwen2', qkvBias: true }).logitsAt(prompt);
  const scaled = randomModel({ ...variants['llama 3 rope scaling, tied']!, tieWordEmbeddings: false }).logitsAt(prompt);
  assert.ok(maxDiff(plain, biased) > 1e-3);
  assert.ok(maxDiff(plain, scaled) > 1e-3);
});

test('weight shapes follow the Hugging Face names of the config', () => {
  const shapes = decoderWeightShapes(variants['qwen3 (q/k norm, head_dim != dim/heads)']!);
  assert.deepEqual(shapes.get('model.layers.1.self_attn.q_proj.weight'), [32, 16]);
  assert.deepEqual(shapes.get('model.layers.1.self_attn.k_norm.weight'), [8]);
  assert.deepEqual(shapes.get('model.layers.0.self_attn.o_proj.weight'), [16, 32]);
  assert.equal(decoderWeightShapes({ ...tiny, tieWordEmbeddings: true }).has('lm_head.weight'), false);
});

test('a missing or misshapen tensor is reported by name', () => {
  const tensors = new Map(DecoderModel.random(tiny, 0, 0.02, refBackend).tensors().map((t) => [t.name, t.data] as const));
  tensors.delete('model.layers.1.mlp.up_proj.weight');
  assert.throws(() => new DecoderModel(tiny, tensors, refBackend), (e: unknown) =>
    e instanceof WeightMismatchError && /missing tensor "model.layers.1.mlp.up_proj.weight" \(shape \[24, 16\]\)/.test(e.message));
  tensors.set('model.layers.1.mlp.up_proj.weight', new Float32Array(5));
  assert.throws(() => new DecoderModel(tiny, tensors, refBackend), /"model.layers.1.mlp.up_proj.weight" has 5 values/);
});

test('token ids outside the vocabulary and overfull sessions are refused', () => {
  const model = randomModel(tiny);
  assert.throws(() => model.logitsAt([1, 37]), /token id 37 is outside the vocabulary \(0..36\)/);
  const session = model.createSession(1, 2);
  session.prefill(0, [1, 2]);
  assert.throws(() => session.decode([0], [3]), /2 \+ 1 positions exceed the session capacity 2/);
  assert.throws(() => model.createSession(1, 65), /exceeds the model's maximum of 64/);
});

// Llama 3.1's rotary settings as published in its config.json.
const llama31Fields = {
  model_type: 'llama', hidden_size: 4096, intermediate_size: 14336, num_hidden_layers: 32, num_attention_heads: 32,
  num_key_value_heads: 8, vocab_size: 128256, rope_theta: 500000,
  rope_scaling: { factor: 8.0, low_freq_factor: 1.0, high_freq_factor: 4.0, original_max_position_embeddings: 8192, rope_type: 'llama3' },
};

test('rope inverse frequencies follow theta^(-2i/d); llama3 scaling keeps high, divides low, blends the middle', () => {
  const plain = ropeFrequencies({ headDim: 4, ropeTheta: 10000, ropeScaling: null });
  assert.deepEqual([...plain], [1, Math.fround(0.01)]);

  const c = parseHfConfig(llama31Fields);
  const scaled = ropeFrequencies(c);
  const unscaled = ropeFrequencies({ ...c, ropeScaling: null });
  assert.equal(scaled[0], 1);
  // Pair 63: wavelength 2pi * 500000^(126/128) is far beyond 8192 -> divided by the factor 8.
  assert.ok(Math.abs(scaled[63]! - unscaled[63]! / 8) < 1e-12);
  // Pair 32: frequency 500000^-0.5, wavelength 4442.88, smooth = (8192 / 4442.88 - 1) / 3 = 0.281283.
  const f = 500000 ** -0.5;
  const smooth = (8192 / ((2 * Math.PI) / f) - 1) / 3;
  assert.ok(Math.abs(smooth - 0.281283) < 1e-6);
  assert.ok(Math.abs(scaled[32]! - ((1 - smooth) * (f / 8) + smooth * f)) < 1e-9);
});

/** Row r of a (rows, width) matrix. */
const row = (m: Float32Array, r: number, width: number): Float32Array => m.subarray(r * width, (r + 1) * width);

function extraRows(k: number, dim: number, seed: number): Parameter {
  return new Parameter(refBackend.upload(Float32Array.from({ length: k * dim }, (_, i) => Math.sin(seed + i))), [k, dim], refBackend);
}

test('extra output rows join the vocabulary logits in training and in generation, and nothing else changes', () => {
  const model = randomModel(tiny);
  const V = tiny.vocabSize;
  const plain = model.logitsAt(prompt);
  const extra = extraRows(3, tiny.dim, 4);
  model.setExtraOutputRows(extra);
  assert.equal(model.outputSize, V + 3);
  const trained = noGrad(() => model.logits(Int32Array.from(prompt), 1, prompt.length).toArray());
  const generated = model.logitsAt(prompt);
  assert.equal(generated.length, prompt.length * (V + 3));
  assert.ok(maxDiff(trained, generated) < 1e-5);
  const hidden = noGrad(() => model.forwardHidden(Int32Array.from(prompt), 1, prompt.length).toArray());
  const e = extra.toArray();
  for (let r = 0; r < prompt.length; r++) {
    assert.ok(maxDiff(row(generated, r, V + 3).subarray(0, V), row(plain, r, V)) < 1e-6, 'the vocabulary logits are unchanged');
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let d = 0; d < tiny.dim; d++) dot += hidden[r * tiny.dim + d]! * e[j * tiny.dim + d]!;
      assert.ok(Math.abs(generated[r * (V + 3) + V + j]! - dot) < 1e-5, `extra logit ${j} is hidden . row ${j}`);
    }
  }
  // Sessions score the extra rows too: prefill and step-by-step decode agree with the training logits.
  const session = model.createSession(1, prompt.length);
  assert.equal(session.vocabSize, V + 3);
  assert.ok(maxDiff(session.prefill(0, prompt.slice(0, 2)), row(trained, 1, V + 3)) < 1e-5);
  for (let i = 2; i < prompt.length; i++) assert.ok(maxDiff(session.decode([0], [prompt[i]!]), row(trained, i, V + 3)) < 1e-5);
  // Output-only: ids of the extra rows are not inputs, and the saved weights do not include them.
  assert.throws(() => model.logitsAt([1, V]), /token id 37 is outside the vocabulary/);
  assert.deepEqual(model.tensors().map((t) => t.name), [...decoderWeightShapes(tiny).keys()]);
  model.setExtraOutputRows(null);
  assert.deepEqual(model.logitsAt(prompt), plain);
  assert.throws(() => model.setExtraOutputRows(extraRows(2, tiny.dim + 1, 0)), /rows must be \(K, dim 16\)/);
});

test('the loss reaches extra rows: a target past the vocabulary is an extra row, and its gradient flows into it', () => {
  const model = randomModel(tiny);
  const V = tiny.vocabSize;
  const extra = extraRows(2, tiny.dim, 9);
  model.setExtraOutputRows(extra);
  model.freeze();
  extra.frozen = false;
  const inputs = Int32Array.from(prompt);
  const targets = Int32Array.from([IGNORE_INDEX, V + 1, 4, IGNORE_INDEX, V, 2]);
  const loss = valueAndGrad(() => model.loss(inputs, targets, 1, prompt.length));
  const expected = noGrad(() => crossEntropy(model.logits(inputs, 1, prompt.length), targets).item());
  assert.ok(Math.abs(loss - expected) < 1e-5, `${loss} vs ${expected}`);
  assert.ok(extra.grad !== null && maxAbs(extra.grad.toArray()) > 0);
  assert.equal(model.embedTokens.grad, null);
});

test('sessions return the final-normed hidden states of the rows they returned logits for', () => {
  const model = randomModel(variants['qwen3 (q/k norm, head_dim != dim/heads)']!);
  const { dim } = model.config;
  const hidden = noGrad(() => model.forwardHidden(Int32Array.from(prompt), 1, prompt.length).toArray());
  const session = model.createSession(2, prompt.length);
  session.prefill(0, prompt.slice(0, 4));
  assert.ok(maxDiff(session.lastHidden(), row(hidden, 3, dim)) < 1e-5);
  session.prefill(1, prompt.slice(0, 3));
  session.decode([0, 1], [prompt[4]!, prompt[3]!]);
  const both = session.lastHidden();
  assert.equal(both.length, 2 * dim);
  assert.ok(maxDiff(row(both, 0, dim), row(hidden, 4, dim)) < 1e-5);
  assert.ok(maxDiff(row(both, 1, dim), row(hidden, 3, dim)) < 1e-5);
  assert.throws(() => model.createSession(1, 4).lastHidden(), /has not run prefill or decode yet/);
});

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}
