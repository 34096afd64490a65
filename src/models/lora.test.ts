import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DecoderModel } from './decoder.js';
import type { DecoderConfig } from './config.js';
import { applyLora, loadLoraAdapter, LoraProjection, loraUpdates, mergeLora, saveLoraAdapter, saveLoraUpdates, stackLoraUpdates, type LoraConfig } from './lora.js';
import { openSafetensors } from '../formats/safetensors.js';
import { matmul } from '../tensor/ops/matmul.js';
import { noGrad } from '../tensor/autograd.js';
import { refBackend } from '../tensor/backends/ref.js';
import { withTempDir } from '../util/testing/temp-dir.js';

const config: DecoderConfig = {
  family: 'qwen2', vocabSize: 30, dim: 16, layers: 2, heads: 4, kvHeads: 2, headDim: 4, hiddenDim: 20, normEps: 1e-6,
  ropeTheta: 10000, ropeScaling: null, qkvBias: true, outputBias: false, qkNorm: false, tieWordEmbeddings: true,
  maxPositions: 32, bosTokenId: null, eosTokenIds: [0],
};
const lora: LoraConfig = { rank: 2, alpha: 8, targetModules: ['q_proj', 'v_proj', 'down_proj'], seed: 3 };
const tokens = [3, 14, 15, 9, 26, 5];

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Gives every B matrix non-zero values, as training would. */
function perturbAdapters(model: DecoderModel): void {
  let k = 0;
  model.mapProjections((_, p) => {
    if (p instanceof LoraProjection) {
      const data = p.loraB.backend.download(p.loraB.storage);
      for (let i = 0; i < p.loraB.size; i++) data[i] = 0.3 * Math.sin(++k);
    }
    return p;
  });
}

test('applyLora wraps the target projections, freezes the base, and leaves the output unchanged at init', () => {
  const model = DecoderModel.random(config, 1, 0.2, refBackend);
  const before = model.logitsAt(tokens);
  const wrapped = applyLora(model, lora);
  assert.deepEqual(wrapped, [
    'model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.0.mlp.down_proj',
    'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj', 'model.layers.1.mlp.down_proj',
  ]);
  const trainable = model.trainableParameters().map(([name]) => name);
  assert.equal(trainable.length, 12);
  assert.ok(trainable.every((n) => /\.(loraA|loraB)$/.test(n)), trainable.join(', '));
  assert.deepEqual(model.logitsAt(tokens), before);
});

test('a regular expression selects modules by their whole name', () => {
  const model = DecoderModel.random(config, 1, 0.2, refBackend);
  assert.deepEqual(applyLora(model, { ...lora, targetModules: 'model\\.layers\\.1\\..*_proj' }).length, 7);
  assert.throws(() => applyLora(DecoderModel.random(config, 1, 0.2, refBackend), { ...lora, targetModules: ['nothing'] }), /match no projection/);
});

test('LoRA unmerged (tensor path and generation path) equals LoRA merged into the base weights', () => {
  const model = DecoderModel.random(config, 2, 0.2, refBackend);
  applyLora(model, lora);
  perturbAdapters(model);
  model.train(false);
  const unmerged = model.logitsAt(tokens);
  const viaTensors = noGrad(() => matmul(model.forward(Int32Array.from(tokens), 1, tokens.length), model.outputWeight, { transB: true }).toArray());
  assert.ok(maxDiff(unmerged, viaTensors) < 1e-5, `tensor path differs by ${maxDiff(unmerged, viaTensors)}`);
  assert.equal(mergeLora(model), 6);
  assert.ok(!model.layers.some((l) => l.selfAttn.qProj instanceof LoraProjection));
  const merged = model.logitsAt(tokens);
  assert.ok(maxDiff(unmerged, merged) < 1e-5, `merged differs by ${maxDiff(unmerged, merged)}`);
  assert.ok(maxDiff(unmerged, DecoderModel.random(config, 2, 0.2, refBackend).logitsAt(tokens)) > 1e-3, 'the adapters changed the model');
});

test('adapters round-trip through the PEFT layout', () => {
  withTempDir('lora', (dir) => {
    const model = DecoderModel.random(config, 4, 0.2, refBackend);
    applyLora(model, lora);
    perturbAdapters(model);
    saveLoraAdapter(model, lora, dir, 'tiny-base');
    const saved = JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual([saved['peft_type'], saved['r'], saved['lora_alpha'], saved['target_modules']], ['LORA', 2, 8, ['q_proj', 'v_proj', 'down_proj']]);
    const file = openSafetensors(join(dir, 'adapter_model.safetensors'));
    assert.deepEqual(file.shape('base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight'), [2, 16]);
    assert.deepEqual(file.shape('base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'), [8, 2]);
    assert.equal(file.names().length, 12);
    file.close();

    const reloaded = DecoderModel.random(config, 4, 0.2, refBackend);
    assert.deepEqual(loadLoraAdapter(reloaded, dir), { rank: 2, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'down_proj'] });
    assert.deepEqual(reloaded.logitsAt(tokens), model.logitsAt(tokens));
  });
});

test('bad LoRA settings are refused with the setting named', () => {
  const model = DecoderModel.random(config, 1, 0.2, refBackend);
  assert.throws(() => applyLora(model, { ...lora, rank: 0 }), /rank must be a positive integer, got 0/);
  assert.throws(() => applyLora(model, { ...lora, dropout: 1 }), /dropout must be in \[0, 1\), got 1/);
});

test('withAdaptersDisabled runs the base model exactly, without copying it, and restores the adapters (nested, throwing)', () => {
  const base = DecoderModel.random(config, 4, 0.2, refBackend);
  const model = DecoderModel.random(config, 4, 0.2, refBackend);
  applyLora(model, lora);
  perturbAdapters(model);
  const adapted = model.logitsAt(tokens);
  const baseLogits = base.logitsAt(tokens);
  const baseTrained = noGrad(() => base.logits(Int32Array.from(tokens), 1, tokens.length).toArray());
  assert.ok(maxDiff(adapted, baseLogits) > 1e-3, 'the adapters change the model');
  const parameters = model.parameters();
  model.withAdaptersDisabled(() => {
    assert.deepEqual(model.logitsAt(tokens), baseLogits);
    assert.deepEqual(noGrad(() => model.logits(Int32Array.from(tokens), 1, tokens.length).toArray()), baseTrained);
    model.withAdaptersDisabled(() => assert.deepEqual(model.logitsAt(tokens), baseLogits));
    assert.deepEqual(model.logitsAt(tokens), baseLogits, 'an inner call leaves the outer one disabled');
  });
  assert.deepEqual(model.logitsAt(tokens), adapted);
  assert.throws(() => model.withAdaptersDisabled(() => { throw new Error('inside'); }), /inside/);
  assert.deepEqual(model.logitsAt(tokens), adapted, 'a throwing fn still restores the adapters');
  assert.deepEqual(model.parameters(), parameters, 'the same parameters, none copied');
});

test('an SFT adapter merged, a second adapter trained on top: stacked into one PEFT adapter, base + it is the same model', () => {
  withTempDir('lora-stack', (dir) => {
    const model = DecoderModel.random(config, 6, 0.2, refBackend);
    applyLora(model, lora);
    perturbAdapters(model);
    const first = loraUpdates(model);
    mergeLora(model);
    // The second adapter wraps fewer modules, with another rank and scaling.
    applyLora(model, { rank: 3, alpha: 9, targetModules: ['v_proj'], seed: 2 });
    perturbAdapters(model);
    const trained = model.logitsAt(tokens);
    const stacked = stackLoraUpdates(first, loraUpdates(model));
    const rank = lora.rank + 3;
    for (const u of stacked.values()) assert.deepEqual([u.rank, u.scaling], [rank, 1]);
    saveLoraUpdates(stacked, dir, { baseModel: 'base' });
    const reloaded = DecoderModel.random(config, 6, 0.2, refBackend);
    const read = loadLoraAdapter(reloaded, dir);
    assert.deepEqual([read.rank, read.alpha], [rank, rank]);
    assert.ok(maxDiff(reloaded.logitsAt(tokens), trained) < 1e-4, `${maxDiff(reloaded.logitsAt(tokens), trained)}`);
  });
});
